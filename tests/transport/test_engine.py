"""The Engine.IO layer (transport/): an idle WebSocket adds one task to aiohttp's (the one reading it), pings still
flow, and its tasks end with it."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from game_backend.testing import running_server

WAIT = 10
SOCKETS = 20


async def test_an_idle_websocket_adds_one_task_keeps_answering_pings_and_leaves_no_task(mongodb_uri: str, database_name: str) -> None:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, ping_interval=0.2,
                              ping_timeout=5) as url:
        async with aiohttp.ClientSession() as http:
            sockets = []
            baseline = 0
            for index in range(SOCKETS + 1):
                ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
                opened = await ws.receive_str(timeout=WAIT)
                assert opened.startswith("0") and "sid" in json.loads(opened[1:])
                await ws.send_str("40")
                assert (await ws.receive_str(timeout=WAIT)).startswith("40")
                sockets.append(ws)
                if index == 0:  # the first connect also starts the server's service task
                    await asyncio.sleep(0.1)
                    baseline = len(asyncio.all_tasks())
            await asyncio.sleep(0.1)
            # aiohttp's client reads without tasks of its own, so what grew is the server's: aiohttp's two per
            # connection (the connection's and the request's), the one reading the socket, and nothing more (no
            # heartbeat task: pings run on timers).
            assert len(asyncio.all_tasks()) - baseline == 3 * SOCKETS
            # Several ping intervals: each socket is pinged on its timer, answers, and is pinged again.
            await asyncio.gather(*(answer_pings(ws, 3) for ws in sockets))
            assert all(not ws.closed for ws in sockets)
            for ws in sockets:
                await ws.close()
            for _ in range(50):
                if len(asyncio.all_tasks()) <= baseline:
                    break
                await asyncio.sleep(0.1)
            assert len(asyncio.all_tasks()) <= baseline  # every socket's tasks ended with it


async def answer_pings(ws: aiohttp.ClientWebSocketResponse, count: int) -> None:
    for _ in range(count):
        assert await ws.receive_str(timeout=WAIT) == "2"
        await ws.send_str("3")
