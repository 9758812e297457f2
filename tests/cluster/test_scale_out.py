"""Several server processes, one Redis, one database: rooms shared across processes, and Redis only where needed.

Each test starts its own server processes (`python -m game_backend`) with a
Redis channel prefix of its own, so that the tests running beside it on the
same Redis do not hear each other; MONITOR shows what a process sent to Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from game_backend.testing import Player, guest_token, rest

from ..sign_in import try_connect
from ..clusters import cluster_env, processes
from ..redis_servers import REDIS_URL, PrivateRedis, require_redis


async def connected(url: str, nickname: str, transport: str = "websocket") -> Player:
    player = Player(nickname, await guest_token(url, nickname))
    await player.connect(url, transport)
    return player


async def disconnect_all(*players: Player) -> None:
    for player in players:
        if player.client.connected:
            await player.client.disconnect()


class Monitor:
    """Every command Redis runs that names this test's channels (MONITOR, on a connection of its own)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = aioredis.Redis.from_url(url)
        self.prefix = prefix
        self.commands: list[str] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Monitor:
        ready = asyncio.Event()

        async def watch() -> None:
            async with self.client.monitor() as monitor:
                ready.set()
                async for command in monitor.listen():
                    if self.prefix in command["command"]:
                        self.commands.append(command["command"])

        self._task = asyncio.create_task(watch())
        await asyncio.wait_for(ready.wait(), 5)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.client.aclose()

    def published_to(self, channel_part: str) -> int:
        return sum(1 for command in self.commands if command.startswith("SPUBLISH") and channel_part in command)


async def test_players_on_different_processes_share_a_room(two_servers: list[str]) -> None:
    first, second = two_servers
    host = await connected(first, "host")
    guest = await connected(second, "guest", "polling")
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
        await disconnect_all(host, guest)


async def test_a_room_uses_redis_only_while_another_process_has_members(two_servers: list[str], prefix: str) -> None:
    first, second = two_servers
    host, guest = await connected(first, "host"), await connected(first, "guest")
    visitor = await connected(second, "visitor")
    try:
        _, room = await rest(first, "POST", "/api/rooms/create", host.token, {})
        code = room["code"]
        for player in (host, guest):
            assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"]
        channel = f"{prefix}:r:/:{code}"
        async with Monitor(REDIS_URL, prefix) as monitor:
            assert (await host.call("sendMessage", "all on one process"))["ok"]
            await guest.wait_for("message", lambda a: a[0]["chat"] == "all on one process")
            assert (await guest.call("ready"))["ok"]
            await host.wait_for("readyStatus")
            await host.settle()
            assert monitor.published_to(channel) == 0, monitor.commands

            assert (await visitor.call("joinRoom", {"nickname": "visitor", "code": code}))["ok"]
            assert (await host.call("sendMessage", "now shared"))["ok"]
            await visitor.wait_for("message", lambda a: a[0]["chat"] == "now shared")
            assert monitor.published_to(channel) > 0

            assert (await visitor.call("leaveRoom", code))["ok"]
            await host.wait_for(f"leftRoom{code}")
            await host.settle(0.5)  # the GONE notice reaches the first process, which counts again
            before = monitor.published_to(channel)
            assert (await host.call("sendMessage", "alone again"))["ok"]
            await guest.wait_for("message", lambda a: a[0]["chat"] == "alone again")
            await host.settle()
            assert monitor.published_to(channel) == before, monitor.commands[-5:]
        counts = dict(await aioredis.Redis.from_url(REDIS_URL).pubsub_shardnumsub(channel))
        assert counts[channel.encode()] == 1  # the second process unsubscribed when its last member left
    finally:
        await disconnect_all(host, guest, visitor)


async def test_a_seat_taken_over_rest_on_one_process_moves_the_socket_on_another(two_servers: list[str]) -> None:
    first, second = two_servers
    host = await connected(first, "host")
    guest = await connected(second, "guest")
    try:
        _, room = await rest(first, "POST", "/api/rooms/create", host.token, {})
        code = room["code"]
        assert (await host.call("joinRoom", {"nickname": "host", "code": code}))["ok"]
        status, _ = await rest(first, "PATCH", f"/api/rooms/join/{code}", guest.token)  # on the host's process
        assert status == 200
        async with asyncio.timeout(5):  # the JOIN request crosses Redis to the guest's process
            while not guest.events.get("message"):
                assert (await host.call("sendMessage", "you were moved"))["ok"]
                await asyncio.sleep(0.2)
        assert guest.events["message"][0][0]["chat"] == "you were moved"
    finally:
        await disconnect_all(host, guest)


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


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    yield server
    server.stop()


async def test_without_redis_local_rooms_play_on_and_shared_ones_come_back_with_it(
    mongodb_uri: str, database_name: str, prefix: str, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    env = cluster_env(mongodb_uri, database_name, private_redis.url, prefix)
    async with processes(env, ["a", "b"], logs=tmp_path) as (first, second):
        host, guest = await connected(first.url, "host"), await connected(first.url, "guest")
        visitor = await connected(second.url, "visitor")
        try:
            _, local = await rest(first.url, "POST", "/api/rooms/create", host.token, {})
            assert (await guest.call("joinRoom", {"nickname": "guest", "code": local["code"]}))["ok"]

            private_redis.stop()
            assert await rest(first.url, "GET", "/readyz") == (503, {"ok": False, "redis": "unavailable"})
            assert (await host.call("sendMessage", "redis is down"))["ok"]
            assert (await guest.wait_for("message"))[0]["chat"] == "redis is down"
            await asyncio.sleep(1)
            assert "Redis did not answer" in (tmp_path / "a.log").read_text()

            private_redis.start()
            assert await rest(first.url, "GET", "/readyz") == (200, {"ok": True})
            assert (await visitor.call("joinRoom", {"nickname": "visitor", "code": local["code"]}))["ok"]
            async with asyncio.timeout(15):  # the listener reconnects with a back-off of at most 5 s
                while not visitor.events.get("message"):
                    assert (await host.call("sendMessage", "redis is back"))["ok"]
                    await asyncio.sleep(0.5)
            assert visitor.events["message"][-1][0]["chat"] == "redis is back"
        finally:
            await disconnect_all(host, guest, visitor)


async def test_the_connection_cap_counts_every_process(mongodb_uri: str, database_name: str, prefix: str) -> None:
    require_redis()
    env = {**cluster_env(mongodb_uri, database_name, REDIS_URL, prefix), "MAX_CONNECTIONS_PER_IP": "3",
           "PROCESS_LEASE_SECONDS": "1.5"}
    async with processes(env, ["a", "b"]) as (first, second):
        token = await guest_token(first.url, "many")
        opened = [await try_connect(url, token) for url in (first.url, first.url, second.url)]
        assert all(client is not None for client, _ in opened), opened
        client, refusal = await try_connect(second.url, token)
        assert client is None and "too many connections" in refusal["message"]
        await opened[0][0].disconnect()
        await asyncio.sleep(0.2)
        client, refusal = await try_connect(second.url, token)
        assert client is not None, refusal
        opened.append((client, None))

        first.kill()  # its one remaining connection stops counting once its liveness key expires
        async with asyncio.timeout(10):
            while (client := (await try_connect(second.url, token))[0]) is None:
                await asyncio.sleep(0.3)
        opened.append((client, None))
        for client, _ in opened[2:]:
            await client.disconnect()


async def test_the_sign_in_throttle_counts_every_process(mongodb_uri: str, database_name: str, prefix: str) -> None:
    require_redis()
    env = {**cluster_env(mongodb_uri, database_name, REDIS_URL, prefix), "AUTH_BURST": "4", "AUTH_RATE": "0.01"}
    async with processes(env, ["a", "b"]) as servers:
        statuses = [(await rest(servers[n % 2].url, "POST", "/api/users/login", body={"email": "x@example.com",
                                                                                       "pw": "wrong password"}))[0]
                    for n in range(6)]
        assert statuses == [401, 401, 401, 401, 429, 429]
