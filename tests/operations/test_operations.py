"""What an operator sees: /metrics (and a real Prometheus scraping it), health endpoints, JSON logs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from game_backend.operations.metrics import Metrics
from game_backend.storage.embedded import free_port
from game_backend.testing import Players, SeatedRoom, running_server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(base_url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/metrics", headers=headers) as response:
        return response.status, await response.text()


def samples(text: str) -> Samples:
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def play_a_short_round(seated: SeatedRoom) -> None:
    """Chat, ready, start, load, a hit each, the end: every kind of event a round has."""
    host, guest = seated.players
    code = seated.code
    await host.act("sendMessage", "good luck")
    await guest.act("ready")
    await host.act("startGame", {"code": code})
    for player in seated.players:
        await player.expect(f"gameStarted{code}")
        await player.act("playerLoaded", {"nickname": player.nickname, "code": code})
    for player in seated.players:
        await player.act("hit", {"code": code, "nickname": player.nickname, "currentScore": 0, "combo": 0,
                                 "instrument": "drum", "motionType": "shake"})
    refused = await guest.call("startGame", {"code": code})  # only the host may: a failed ack, counted by its code
    assert refused["ok"] is False


async def test_metrics_count_a_round_without_naming_anyone(room: Callable[..., Any], game_server: str) -> None:
    seated = await room("ann", "bob")
    await play_a_short_round(seated)
    status, text = await scrape(game_server)
    assert status == 200
    found = samples(text)
    assert value(found, "game_events_total", event="joinRoom", code="ok") == 2
    assert value(found, "game_events_total", event="hit", code="ok") == 2
    assert sum(v for (name, labels), v in found.items() if name == "game_events_total"
               and dict(labels)["event"] == "startGame" and dict(labels)["code"] != "ok") == 1
    assert value(found, "game_event_duration_seconds_count", event="playerLoaded") == 2
    assert sum(value(found, "game_connected_sockets", transport=transport, auth="authenticated")
               for transport in ("websocket", "polling")) == 2
    assert value(found, "game_rooms", state="playing") == 1 and value(found, "game_seated_players") == 2
    assert value(found, "game_messages_delivered_total") >= 8
    assert value(found, "game_room_emits_total") >= 8
    assert value(found, "game_database_operation_duration_seconds_count", operation="update") > 0
    assert value(found, "process_resident_memory_bytes") > 0 and value(found, "process_open_fds") > 0
    labels = {label for (_, pairs) in found for _, label in pairs}
    for secret in ("ann", "bob", seated.code, *(player.client.get_sid() for player in seated.players)):
        assert secret not in labels, f"a label holds {secret!r}"


def test_an_event_time_counts_in_every_bucket_at_or_above_it() -> None:
    metrics = Metrics()
    for seconds in (0.0004, 0.0005, 0.003, 7.0):
        metrics.events.add("hit", "ok", seconds)
    found = samples(metrics.exposition().decode())
    buckets = {le: value(found, "game_event_duration_seconds_bucket", event="hit", le=le)
               for le in ("0.0005", "0.001", "0.005", "5.0", "+Inf")}
    assert buckets == {"0.0005": 2, "0.001": 2, "0.005": 3, "5.0": 3, "+Inf": 4}
    assert value(found, "game_event_duration_seconds_sum", event="hit") == pytest.approx(7.0039)
    assert value(found, "game_events_total", event="hit", code="ok") == 4


async def test_rate_limit_refusals_are_counted_by_kind(players: Players, game_server: str) -> None:
    ann = await players("ann")
    acks = [await ann.call("sendMessage", "spam") for _ in range(15)]  # CHAT_BURST is 10
    assert any(ack.get("code") == "RATE_LIMITED" for ack in acks)
    found = samples((await scrape(game_server))[1])
    assert value(found, "game_rate_limited_total", kind="chat") >= 1


@pytest.mark.parametrize(("settings", "token", "expected"), [
    ({"metrics_token": "s3cret-token"}, None, 401),
    ({"metrics_token": "s3cret-token"}, "wrong", 401),
    ({"metrics_token": "s3cret-token"}, "s3cret-token", 200),
    ({"metrics": False}, None, 404),
    ({"production": True, "jwt_secret": "p" * 40, "cors_origins": ("https://game.example",)}, None, 404),
    ({"production": True, "jwt_secret": "p" * 40, "cors_origins": ("https://game.example",),
      "metrics_token": "s3cret-token"}, "s3cret-token", 200),
])
async def test_metrics_are_protected_as_configured(mongodb_uri: str, database_name: str, settings: dict[str, Any],
                                                   token: str | None, expected: int) -> None:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, **settings) as base_url:
        status, text = await scrape(base_url, token)
        assert status == expected
        if expected != 200:
            body = json.loads(text)
            assert body["ok"] is False and body["code"] and body["error"]


# A real Prometheus

PROMETHEUS = shutil.which("prometheus")


def require_prometheus() -> str:
    if PROMETHEUS is None:
        reason = "Debian's prometheus is needed (make test installs it with apt-get)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true: not skipped")
        pytest.skip(reason)
    return PROMETHEUS


class Prometheus:
    def __init__(self, directory: Path, target: str) -> None:
        self.port = free_port()
        config = directory / "prometheus.yml"
        config.write_text(f"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                          f"  - job_name: game_backend\n    static_configs:\n      - targets: ['{target}']\n")
        self.process = subprocess.Popen(
            [require_prometheus(), f"--config.file={config}", f"--storage.tsdb.path={directory / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=open(directory / "prometheus.log", "wb"))  # noqa: SIM115

    async def query(self, expression: str) -> list[dict[str, Any]]:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}/api/v1/query",
                                                             params={"query": expression}) as response:
            return (await response.json())["data"]["result"]

    async def until(self, expression: str, wanted: float, timeout: float = 30) -> None:
        """Wait until `expression`'s single result is `wanted`."""
        last: Any = None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    try:
                        last = await self.query(expression)
                        if len(last) == 1 and float(last[0]["value"][1]) == wanted:
                            return
                    except (aiohttp.ClientError, KeyError):
                        pass  # not up yet
                    await asyncio.sleep(0.5)
        except TimeoutError:
            raise AssertionError(f"Prometheus never gave {expression} = {wanted:g}; last answer: {last}") from None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


async def test_a_real_prometheus_scrapes_a_round(room: Callable[..., Any], game_server: str, tmp_path: Path) -> None:
    host_port = game_server.removeprefix("http://")
    prometheus = Prometheus(tmp_path, host_port)
    try:
        await prometheus.until('up{job="game_backend"}', 1)
        seated = await room("ann", "bob")
        await play_a_short_round(seated)
        await prometheus.until('game_events_total{event="joinRoom",code="ok"}', 2)
        await prometheus.until('game_events_total{event="hit",code="ok"}', 2)
        await prometheus.until('sum(game_connected_sockets{auth="authenticated"})', 2)
        await prometheus.until('game_rooms{state="playing"}', 1)
    finally:
        prometheus.stop()


# Logs

def test_json_logs_are_one_object_per_line_with_the_refusals_codes() -> None:
    environment = {**{k: v for k, v in os.environ.items() if k != "MONGODB_URI"}, "LOG_FORMAT": "json"}
    process = subprocess.Popen([sys.executable, "-m", "game_backend", "--ephemeral", "--port", "0"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment)
    try:
        assert process.stdout is not None and process.stderr is not None and process.stdin is not None
        url = json.loads(process.stdout.readline())["url"]
        asyncio.run(_refused_connection_and_ack(url))
        process.stdin.close()
        assert process.wait(timeout=20) == 0
        lines = [json.loads(line) for line in process.stderr.read().splitlines() if line.strip()]
    finally:
        process.kill()
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    refused = [line for line in lines if "refused a connection" in line["message"]]
    assert refused and refused[0]["level"] == "INFO" and refused[0]["code"]
    failed_acks = [line for line in lines if line.get("event") == "joinRoom"]
    assert failed_acks and failed_acks[0]["code"] == "ROOM_NOT_FOUND" and failed_acks[0]["nickname"] == "logan"
    assert all("not-a-token" not in json.dumps(line) for line in lines), "a secret reached the log"


async def _refused_connection_and_ack(url: str) -> None:
    from ..sign_in import try_connect

    client, refusal = await try_connect(url, "not-a-token")
    assert client is None and refusal
    group = Players(url)
    logan = await group.join("logan")
    assert (await logan.call("joinRoom", {"nickname": "logan", "code": "ZZZZZZ"}))["code"] == "ROOM_NOT_FOUND"
    await group.close()

