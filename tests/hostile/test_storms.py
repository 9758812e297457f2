"""Storm after storm: signed-in players arriving all at once, three times in a row on one server process.

Every connection of every storm is taken (a refused one is a player lost: socket.io-client does not retry
a refusal), and the server's memory after the third storm is within 10% of what it was after the first.
The server runs as `make run` starts it, on an embedded database of its own (the database is what slowed the
later storms: see "A connection storm" in docs/what-survives-what.md). The full-size storm (2,000 players in 3 s, three
times) is the benchmark's; this one is smaller, so that the suite stays fast.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from game_backend.testing import guest_token

from ..figures import record_figure
from ..rawsocket import websocket
from ..servers import ServerProcess

PLAYERS = 300
STORMS = 3
SPREAD_SECONDS = 1.0


async def storm(server: ServerProcess, prefix: str) -> float:
    """PLAYERS guests sign in, then connect within SPREAD_SECONDS; returns the seconds until the last is taken."""
    tokens = []
    for first in range(0, PLAYERS, 50):
        tokens += await asyncio.gather(*(guest_token(server.url, f"{prefix}{n}") for n in range(first, first + 50)))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:  # no cap on open sockets
        started = time.monotonic()

        async def arrive(index: int, token: str) -> aiohttp.ClientWebSocketResponse:
            await asyncio.sleep(index * SPREAD_SECONDS / PLAYERS)
            return await websocket(http, server.url, token)

        sockets = await asyncio.gather(*(arrive(index, token) for index, token in enumerate(tokens)))
        took = time.monotonic() - started
        for ws in sockets:
            await ws.close()
    return took


async def test_three_storms_in_a_row_are_all_taken_and_memory_stays_level() -> None:
    # MONGODB_URI empty: the server starts its own embedded database, as `make run` does.
    server = await ServerProcess({"MONGODB_URI": "", "MAX_CONNECTIONS_PER_IP": "0"}).start()
    try:
        memory, took = [], []
        for number in range(STORMS):
            took.append(round(await storm(server, f"s{number}x"), 2))  # raises if one connection is refused
            await asyncio.sleep(2)  # the departures are recorded
            memory.append(server.rss_kb())
        record_figure("storms", f"{STORMS} storms of {PLAYERS}", {"seconds_to_last": took, "rss_kb": memory})
        assert memory[-1] <= memory[0] * 1.10, memory
    finally:
        server.stop()
