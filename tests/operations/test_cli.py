"""The `game-backend` command: help, one clear line when it cannot start, --ephemeral; the test knobs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid
from typing import Any

from game_backend.config import Settings, problems
from game_backend.storage.embedded import free_port
from game_backend.testing import guest_token, rest, running_server


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "game_backend", *args],
        capture_output=True, text=True, timeout=timeout, env=environment,
    )


def test_help_names_every_flag_and_its_variable() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for flag, variable in [("--port", "PORT"), ("--mongodb-uri", "MONGODB_URI"), ("--cors-origins", "CORS_ORIGINS"),
                           ("--data-dir", "DATA_DIR"), ("--redis-url", "REDIS_URL"), ("--driver", "MONGO_DRIVER")]:
        assert flag in result.stdout and variable in result.stdout


def test_a_taken_port_gives_one_clear_line() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli("--port", str(port))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"game-backend: error: port {port} on 127.0.0.1 is already in use; stop the other server, or choose another "
        f"port: PORT={port + 1} make run (or game-backend --port {port + 1})"
    )


BAD_VALUES = {
    "PORT": ("abc", "expected a whole number"),
    "PING_INTERVAL": ("abc", "expected a number"),
    "LOG_LEVEL": ("LOUD", "expected one of DEBUG, INFO, WARNING, ERROR"),
    "MONGO_DRIVER": ("foo", "expected one of motor, pymongo"),
    "LOG_FORMAT": ("yaml", "expected one of text, json"),
    "METRICS": ("maybe", "expected 1, 0, true, false, yes, no, on or off"),
}
OUT_OF_RANGE = {
    "PORT": ("70000", "expected a port number from 0 to 65535"),
    "REDIS_URL": ("http://x", "expected a URL starting with redis:// or rediss:// or unix://"),
    "CORS_ORIGINS": ("game.example.com", "expected * or comma-separated origins such as https://game.example.com"),
    "DATABASE_TIMEOUT": ("0", "expected a number above 0"),
    "MONGODB_URI": ("localhost:27017", "expected a URL starting with mongodb:// or mongodb+srv://"),
}


def test_a_bad_variable_gives_one_line_naming_it_and_exit_status_2() -> None:
    for variable, (value, expected) in {**BAD_VALUES, **OUT_OF_RANGE}.items():
        result = run_cli(env={variable: value})
        assert result.returncode == 2, (variable, result.stderr)
        line = result.stderr.strip()
        assert "\n" not in line and "Traceback" not in line, (variable, result.stderr)
        assert line.startswith(f"game-backend: error: {variable}=") and expected in line, (variable, line)


def test_a_near_miss_of_a_setting_is_warned_about_and_refused_in_production_for_security() -> None:
    with socket.socket() as holder:  # a taken port ends the run right after the warnings
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        warned = run_cli(env={"PORT": port, "METRICS_TOKN": "x", "MONGO_URI": "mongodb://db/"})
        production = run_cli(env={"PORT": port, "PRODUCTION": "1", "JWT_SECRET": "s" * 40,
                                  "CORS_ORIGINS": "https://game.example", "METRICS_TOKN": "x"})
    assert warned.returncode == 1  # the taken port
    assert "METRICS_TOKN is not a setting: did you mean METRICS_TOKEN?" in warned.stderr
    assert "MONGO_URI is not a setting: did you mean MONGODB_URI?" in warned.stderr
    assert production.returncode == 2
    assert production.stderr.strip() == ("game-backend: error: METRICS_TOKN is not a setting: did you mean "
                                         "METRICS_TOKEN? (in production a misspelled security setting is an error)")


def test_a_database_that_does_not_answer_gives_one_clear_line() -> None:
    dead = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=500"
    result = run_cli("--port", str(free_port()), env={"MONGODB_URI": dead})
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("game-backend: error: MongoDB at mongodb://127.0.0.1:")
    assert "did not answer" in last_line and "unset MONGODB_URI" in last_line
    assert "Traceback" not in result.stderr


def ephemeral(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    environment = {key: value for key, value in os.environ.items() if key != "MONGODB_URI"}
    environment.update(env or {})
    process = subprocess.Popen([sys.executable, "-m", "game_backend", "--ephemeral", "--port", "0", *args],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment)
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def test_an_ephemeral_server_says_where_it_serves_and_ends_with_its_stdin() -> None:
    process, started = ephemeral(env={"MONGODB_URI": "mongodb://127.0.0.1:1/", "DATA_DIR": "/nonexistent"})
    try:
        assert set(started) == {"url", "pid"} and started["pid"] == process.pid
        with urllib.request.urlopen(f"{started['url']}/healthz", timeout=10) as response:
            assert json.load(response) == {"ok": True}  # its own in-memory database, whatever the environment says
        assert process.stdin is not None
        process.stdin.close()  # as when the parent dies
        assert process.wait(timeout=20) == 0
        assert process.stdout is not None and process.stdout.read() == ""  # one line, nothing more
    finally:
        process.kill()


def test_an_ephemeral_server_ends_cleanly_on_sigterm() -> None:
    process, _ = ephemeral()
    try:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert process.stderr is not None and "Traceback" not in process.stderr.read()
    finally:
        process.kill()


def test_the_test_knobs_are_refused_in_production() -> None:
    production = Settings(production=True, jwt_secret="s" * 40, cors_origins=("https://game.example",))
    assert problems(production) == []
    assert "BCRYPT_ROUNDS is 4" in problems(production.replace(bcrypt_rounds=4))[0]
    assert "ROOM_CODE_SEED" in problems(production.replace(room_code_seed=1))[0]
    assert "START_LEAD_SECONDS is 0.5" in problems(production.replace(start_lead_seconds=0.5))[0]
    assert "RECONNECT_GRACE_SECONDS is 0.5" in problems(production.replace(reconnect_grace_seconds=0.5))[0]
    assert problems(production.replace(reconnect_grace_seconds=0)) == []  # leaving at once is a choice
    assert problems(Settings(bcrypt_rounds=4, room_code_seed=1, start_lead_seconds=0)) == []  # not in production


async def test_room_codes_from_a_seed_repeat(mongodb_uri: str) -> None:
    codes = []
    for run in range(2):
        async with running_server(mongodb_uri=mongodb_uri, database_name=f"seeded_{uuid.uuid4().hex[:8]}",
                                  room_code_seed=42) as url:
            token = await guest_token(url, f"seed{run}")
            codes.append([(await rest(url, "POST", "/api/rooms/create", token, {"type": "codeGame"}))[1]["code"]
                          for _ in range(3)])
    assert codes[0] == codes[1] and len(set(codes[0])) == 3
