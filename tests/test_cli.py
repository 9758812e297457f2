"""The `game-backend` command: help, and one clear line when it cannot start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from game_backend.storage.embedded import free_port


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
        f"game-backend: error: port {port} on 127.0.0.1 is already in use; stop the other server or pass --port"
    )


def test_a_database_that_does_not_answer_gives_one_clear_line() -> None:
    dead = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=500"
    result = run_cli("--port", str(free_port()), env={"MONGODB_URI": dead})
    assert result.returncode == 1
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("game-backend: error: MongoDB at mongodb://127.0.0.1:")
    assert "did not answer" in last_line and "unset MONGODB_URI" in last_line
    assert "Traceback" not in result.stderr
