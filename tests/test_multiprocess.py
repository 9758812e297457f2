"""Two server processes behind one Redis and one database serve one room together."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis

from game_backend.storage.embedded import free_port

from .players import Player, guest_token, rest

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            raise AssertionError(f"Redis at {REDIS_URL} is needed for the multi-process tests: {error}") from None
        pytest.skip(f"Redis at {REDIS_URL} is not running ({error}); start it to run the multi-process tests")


async def wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(timeout):
            while True:
                assert process.poll() is None, f"the server at {base_url} exited with {process.returncode}"
                try:
                    async with http.get(f"{base_url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)


@pytest.fixture
async def two_servers(mongodb_uri: str, database_name: str) -> AsyncIterator[list[str]]:
    require_redis()
    channel = f"test-{uuid.uuid4().hex}"
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "game_backend", "--port", str(port), "--mongodb-uri", mongodb_uri,
                 "--database", database_name, "--redis-url", REDIS_URL, "--log-level", "WARNING"],
                env={**os.environ, "REDIS_CHANNEL": channel, "RECONNECT_GRACE_SECONDS": "0"},
            ))
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes):
            await wait_healthy(url, process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=15)


async def test_players_on_different_processes_share_a_room(two_servers: list[str]) -> None:
    first, second = two_servers
    host = Player("host", await guest_token(first, "host"))
    guest = Player("guest", await guest_token(second, "guest"))
    await host.connect(first, "websocket")
    await guest.connect(second, "polling")
    try:
        status, room = await rest(first, "POST", "/api/rooms/create", host.token, {})
        assert status == 201
        code = room["code"]
        assert (await host.call("joinRoom", {"nickname": "host", "code": code}))["ok"]
        assert (await guest.call("joinRoom", {"nickname": "guest", "code": code}))["ok"]
        await host.wait_for(f"players{code}", lambda a: len(a[0]) == 2)
        assert (await host.call("sendMessage", "across processes"))["ok"]
        assert (await guest.wait_for("message"))[0]["chat"] == "across processes"
        assert (await guest.call("ready"))["allReady"] is True
        await host.wait_for("allReady", lambda a: a == (True,))
        await guest.client.disconnect()
        await host.wait_for(f"leftRoom{code}", lambda a: [p["nickname"] for p in a[0]] == ["host"])
    finally:
        for player in (host, guest):
            if player.client.connected:
                await player.client.disconnect()


async def test_the_last_seat_is_won_once_across_processes(two_servers: list[str]) -> None:
    first, second = two_servers
    tokens = [await guest_token(first, f"seat{i}") for i in range(13)]
    _, room = await rest(first, "POST", "/api/rooms/create", tokens[0], {})
    for token in tokens[1:3]:
        assert (await rest(second, "PATCH", f"/api/rooms/join/{room['code']}", token))[0] == 200
    racers = tokens[3:]
    results = await asyncio.gather(*(
        rest(two_servers[i % 2], "PATCH", f"/api/rooms/join/{room['code']}", token) for i, token in enumerate(racers)
    ))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [409] * (len(racers) - 1)
    _, players = await rest(first, "GET", f"/api/rooms/playerinfo/{room['code']}", tokens[0])
    assert len(players) == 4
