"""Refused requests cost nothing that lasts: the server's resident memory stays bounded under each flood.

Each flood runs three times against a real server process. The first pays for
the high-water mark of the buffers a burst needs (messages queued before they
are read, the allocator's arenas), which the process keeps for the next burst.
A leak of the refused requests then grows the RSS (from /proc) again on every
flood, in proportion (before the fix: tens of megabytes per flood), while the
allocator's high-water mark moves only now and then (by up to about 8 MB
here): so the smaller growth of the second and third floods must stay under
MAX_GROWTH_KB. Each flood also checks that the server still serves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from game_backend.testing import guest_token, rest

from ..rawsocket import websocket
from ..servers import ServerProcess

MAX_GROWTH_KB = 8_000


@pytest.fixture
async def server(mongodb_uri: str, database_name: str) -> AsyncIterator[ServerProcess]:
    process = await ServerProcess({"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": database_name,
                                   "HIT_RATE": "0.001", "HIT_BURST": "5", "EVENT_RATE": "0.001",
                                   "EVENT_BURST": "5", "PING_INTERVAL": "2", "PING_TIMEOUT": "2"}).start()
    yield process
    process.stop()


async def flood(ws: aiohttp.ClientWebSocketResponse, packet: str, count: int) -> None:
    for index in range(count):
        await ws.send_str(packet)
        if index % 500 == 0:
            await asyncio.sleep(0)  # let the server's answers be read


async def drain(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Read until the server has gone quiet (answering pings meanwhile)."""
    while True:
        try:
            message = await ws.receive(timeout=1)
        except TimeoutError:
            return
        if message.type != aiohttp.WSMsgType.TEXT:
            return
        if message.data == "2":
            await ws.send_str("3")


async def flood_growth_kb(server: ServerProcess, ws: aiohttp.ClientWebSocketResponse, packet: str) -> int:
    """The smaller RSS growth of two floods of 20,000 `packet`s, after a first that pays for a burst's buffers."""
    growth = []
    for _ in range(3):
        before = server.rss_kb()
        await flood(ws, packet, 20_000)
        await drain(ws)
        growth.append(server.rss_kb() - before)
    return min(growth[1:])


async def test_rate_limited_hits_leave_nothing_behind(server: ServerProcess) -> None:
    token = await guest_token(server.url, "flooder")
    status, room = await rest(server.url, "POST", "/api/rooms/create", token, {})
    hit = '42["hit",' + json.dumps({"code": room["code"], "nickname": "flooder", "currentScore": 1, "combo": 1,
                                    "instrument": "drum", "motionType": "hit"}) + "]"
    async with aiohttp.ClientSession() as http:
        ws = await websocket(http, server.url, token)
        assert await flood_growth_kb(server, ws, hit) < MAX_GROWTH_KB
        await ws.close()
    assert (await rest(server.url, "GET", "/api/rooms"))[0] == 200


async def test_events_on_an_anonymous_socket_leave_nothing_behind(server: ServerProcess) -> None:
    async with aiohttp.ClientSession() as http:
        ws = await websocket(http, server.url, None)
        assert await flood_growth_kb(server, ws, '421["ready"]') < MAX_GROWTH_KB
        await ws.close()


async def test_unauthenticated_rest_calls_leave_nothing_behind(server: ServerProcess) -> None:
    async with aiohttp.ClientSession() as http:
        async def calls(count: int) -> None:
            for _ in range(count):
                async with http.get(f"{server.url}/api/users/me", headers={"Authorization": "Bearer nonsense"}) as r:
                    assert r.status == 401
        await calls(5_000)
        before = server.rss_kb()
        await calls(5_000)
        assert server.rss_kb() - before < MAX_GROWTH_KB


async def test_namespace_churn_on_one_session_is_cut_short(server: ServerProcess) -> None:
    token = await guest_token(server.url, "churner")
    async with aiohttp.ClientSession() as http:
        ws = await websocket(http, server.url, token)
        joins = 1
        closed = False
        for _ in range(200):
            await ws.send_str("41")
            await ws.send_str("40" + json.dumps({"token": token}))
            message = await ws.receive(timeout=5)
            while message.type == aiohttp.WSMsgType.TEXT and not message.data.startswith("4"):
                message = await ws.receive(timeout=5)
            if message.type != aiohttp.WSMsgType.TEXT or message.data.startswith("44"):
                closed = True
                break
            joins += 1
        assert closed and joins <= 12, joins


async def test_slow_polling_bodies_are_answered_not_left_hanging(server: ServerProcess) -> None:
    """POSTs that announce 900 KB and send 2 bytes: each is answered once the client's patience is up."""
    async with aiohttp.ClientSession() as http:
        async def slow_post() -> int:
            async with http.get(f"{server.url}/socket.io/?EIO=4&transport=polling") as response:
                sid = json.loads((await response.text())[1:])["sid"]
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write((f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n"
                          "Content-Type: text/plain\r\nContent-Length: 900000\r\n\r\n42").encode())
            await writer.drain()
            status_line = await asyncio.wait_for(reader.readline(), 30)
            writer.close()
            return int(status_line.split()[1])

        statuses = await asyncio.gather(*(slow_post() for _ in range(50)))
    assert set(statuses) == {408}
    assert (await rest(server.url, "GET", "/api/rooms"))[0] == 200
