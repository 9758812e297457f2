"""The WebSocket writer under Engine.IO: frames go out at once after a light turn and are coalesced after a heavy
one, in order either way, and a peer that stops reading is cut off."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

from game_backend.transport.engineio.websocket import (
    LIGHT_TURN,
    SLOW_PEER_LIMIT,
    TurnWriter,
    WebSocketLink,
    frame,
)

WAIT = 20
CAP = 64 * 1024 * 1024  # the test gives up writing here: far beyond what any socket buffer holds


@asynccontextmanager
async def serving(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[int]:
    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def open_websocket(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw client: the upgrade handshake, then nothing is read unless the test reads it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def test_frames_written_in_one_loop_turn_arrive_in_order() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        link = await WebSocketLink.accept(request, 1 << 20, compression=False, writer=TurnWriter())
        for number in range(50):  # more than LIGHT_TURN: the first go out at once, the rest at the end of the turn
            link.write(f"message {number}")
        link.write(b"\x00\x01")
        await link.receive()  # until the client closes
        return link.response

    async with serving(handler) as port:
        reader, writer = await open_websocket(port)
        expected = b"".join(frame(f"message {number}".encode()) for number in range(50)) + bytes((0x82, 2, 0, 1))
        assert await asyncio.wait_for(reader.readexactly(len(expected)), WAIT) == expected
        writer.close()


async def test_after_a_light_turn_a_sockets_first_frame_goes_out_at_once_and_after_a_heavy_one_all_wait() -> None:
    writer = TurnWriter()
    first = writer.turn
    # The first turn counts as following a light one: a socket's first frame of the turn goes out at once...
    assert writer.at_once(waiting=False, wrote_in=0)
    # ...and its next ones wait, to be joined at the end of the turn: it wrote at once this turn, or has one waiting.
    assert not writer.at_once(waiting=False, wrote_in=first)
    assert not writer.at_once(waiting=True, wrote_in=0)
    assert [writer.at_once(waiting=False, wrote_in=0) for _ in range(LIGHT_TURN)] == [True] * LIGHT_TURN
    await asyncio.sleep(0)  # the turn ends: it wrote more than LIGHT_TURN frames, a heavy turn
    assert writer.turn == first + 1
    assert not writer.at_once(waiting=False, wrote_in=first)  # so this turn's frames all wait, and join per socket
    await asyncio.sleep(0)  # this one was light: one frame
    assert writer.at_once(waiting=False, wrote_in=first + 1)  # a socket that wrote at once in an earlier turn
    assert not writer.at_once(waiting=False, wrote_in=writer.turn)
    for _ in range(LIGHT_TURN - 2):  # this turn writes exactly LIGHT_TURN frames
        writer.at_once(waiting=False, wrote_in=0)
    await asyncio.sleep(0)  # light still: exactly LIGHT_TURN frames
    assert writer.at_once(waiting=False, wrote_in=0)


async def test_a_peer_that_stops_reading_is_cut_off_instead_of_buffered_without_bound() -> None:
    written = 0
    cut_off = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal written
        link = await WebSocketLink.accept(request, 1 << 20, compression=False, writer=TurnWriter())
        transport = request.transport
        assert transport is not None
        chunk = frame(b"x" * 65536)
        while written < CAP and not transport.is_closing():
            link.write_frame(chunk)
            written += len(chunk)
            await asyncio.sleep(0)  # a loop turn: the frames go out
        cut_off.set()
        return link.response

    async with serving(handler) as port:
        reader, writer = await open_websocket(port)  # and never reads again
        await asyncio.wait_for(cut_off.wait(), WAIT)
        assert written < CAP, "the writer kept buffering for a peer that does not read"
        assert written > SLOW_PEER_LIMIT
        writer.close()
