"""The WebSocket's frame reader (frames.py): simple frames read as they arrive, however TCP cuts them, and every
other frame handed to aiohttp with what follows it, so that aiohttp's rules answer it as before."""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from game_backend.transport.engineio.frames import QUEUE_LIMIT, FrameReader, unmask
from game_backend.transport.engineio.websocket import TurnWriter, WebSocketLink

from .test_websocket_link import WAIT, open_websocket, serving

MAX_MESSAGE = 100_000  # the server's message limit in these tests
SMALL_LIMIT = 1000  # a lower limit, for a frame over it that still arrives in one read
TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def client_frame(payload: bytes, opcode: int = TEXT, *, fin: bool = True, masked: bool = True, rsv: int = 0) -> bytes:
    """A frame as a client sends it (RFC 6455, section 5.2): masked with a random key unless told otherwise."""
    head = bytes(((0x80 if fin else 0) | rsv | opcode,))
    size = len(payload)
    flag = 0x80 if masked else 0
    if size < 126:
        head += bytes((flag | size,))
    elif size < 1 << 16:
        head += bytes((flag | 126,)) + struct.pack("!H", size)
    else:
        head += bytes((flag | 127,)) + struct.pack("!Q", size)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))


@dataclass
class Served:
    """What the server's side of one WebSocket saw: the messages it read, until `receive` said None."""

    messages: list[str | bytes] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    link: WebSocketLink | None = None
    transport: asyncio.Transport | None = None

    def reader(self) -> str:
        """Who reads the socket now: "frames.py" or "aiohttp"."""
        assert self.transport is not None
        return "frames.py" if isinstance(self.transport.get_protocol(), FrameReader) else "aiohttp"


@asynccontextmanager
async def reading(*, read: bool = True, limit: int = MAX_MESSAGE) -> AsyncIterator[tuple[int, Served]]:
    """A server whose one WebSocket is read until it ends (`read` False: not read until `link.receive` is called)."""
    served = Served()

    async def handler(request: web.Request) -> web.StreamResponse:
        link = served.link = await WebSocketLink.accept(request, limit, compression=False, writer=TurnWriter())
        served.transport = request.transport
        if read:
            while (message := await link.receive()) is not None:
                served.messages.append(message)
            await link.close()
        else:
            await served.ended.wait()
        served.ended.set()
        return link.response

    async with serving(handler) as port:
        yield port, served


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.01)


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked frame from the server: (opcode, payload)."""
    first, second = await asyncio.wait_for(reader.readexactly(2), WAIT)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0x0F, await reader.readexactly(size)


def test_unmask_is_the_xor_of_the_repeated_key() -> None:
    key = b"\x01\x80\xff\x10"
    for size in (0, 1, 3, 4, 5, 125, 126, 1000):
        payload = os.urandom(size)
        assert unmask(payload, key) == bytes(byte ^ key[index % 4] for index, byte in enumerate(payload))


@pytest.mark.parametrize("cut", ["whole", "byte by byte", "in two"])
async def test_simple_frames_arrive_whole_and_in_order_however_they_are_cut(cut: str) -> None:
    sent: list[str | bytes] = ["", "2", "42[\"hit\",{}]", "é🎵 한국어", "x" * 125, "y" * 126, "z" * 65535, b"\x00\xff"]
    data = b"".join(client_frame(m.encode(), TEXT) if isinstance(m, str) else client_frame(m, BINARY) for m in sent)
    async with reading() as (port, served):
        reader, writer = await open_websocket(port)
        if cut == "whole":
            writer.write(data)
        elif cut == "in two":  # inside the 16-bit length of the 126-byte frame
            middle = data.index(b"\xfe\x00\x7e") + 2
            writer.write(data[:middle])
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(data[middle:])
        else:
            for index in range(400):  # the first frames a byte at a time, a character split between reads
                writer.write(data[index : index + 1])
                await writer.drain()
            writer.write(data[400:])
        await until(lambda: len(served.messages) == len(sent))
        assert served.messages == sent
        assert served.reader() == "frames.py"
        writer.close()
        await asyncio.wait_for(served.ended.wait(), WAIT)


async def test_a_ping_is_answered_by_aiohttp_and_the_messages_around_it_keep_their_order() -> None:
    async with reading() as (port, served):
        reader, writer = await open_websocket(port)
        writer.write(client_frame(b"before"))
        await until(lambda: len(served.messages) == 1)
        assert served.reader() == "frames.py"
        writer.write(client_frame(b"are you there", PING) + client_frame(b"after"))
        assert await read_frame(reader) == (PONG, b"are you there")
        assert served.reader() == "aiohttp"  # for good
        writer.write(client_frame(b"later"))
        await until(lambda: len(served.messages) == 3)
        assert served.messages == ["before", "after", "later"]
        writer.close()


async def test_a_fragmented_message_is_put_together_by_aiohttp() -> None:
    async with reading() as (port, served):
        reader, writer = await open_websocket(port)
        writer.write(client_frame(b"first ") + client_frame(b"in ", fin=False) + client_frame(b"parts", CONTINUATION))
        await until(lambda: len(served.messages) == 2)
        assert served.messages == ["first ", "in parts"]
        writer.close()


async def test_a_message_over_64_kib_within_the_limit_is_read_by_aiohttp() -> None:
    async with reading() as (port, served):
        reader, writer = await open_websocket(port)
        writer.write(client_frame(b"small") + client_frame(b"b" * 70_000))
        await until(lambda: len(served.messages) == 2)
        assert served.messages == ["small", "b" * 70_000]
        writer.close()


@pytest.mark.parametrize(
    ("bad_frame", "code"),
    [
        (client_frame(b"\xff\xfe not utf-8"), 1007),
        (client_frame(b"o" * (SMALL_LIMIT + 1)), 1009),
        (client_frame(b"extension bit", rsv=0x40), 1002),
    ],
    ids=["invalid UTF-8", "over the limit", "an extension bit nobody agreed to"],
)
async def test_a_frame_that_breaks_the_rules_gets_aiohttps_close_code_after_the_messages_before_it(
    bad_frame: bytes, code: int
) -> None:
    async with reading(limit=SMALL_LIMIT) as (port, served):
        reader, writer = await open_websocket(port)
        writer.write(client_frame(b"fine") + bad_frame + client_frame(b"never read"))
        opcode, payload = await read_frame(reader)
        assert (opcode, struct.unpack("!H", payload[:2])[0]) == (CLOSE, code)
        await asyncio.wait_for(served.ended.wait(), WAIT)
        assert served.messages == ["fine"]
        writer.close()


async def test_the_clients_closing_handshake_is_answered_and_ends_the_reading() -> None:
    async with reading() as (port, served):
        reader, writer = await open_websocket(port)
        writer.write(client_frame(b"bye") + client_frame(struct.pack("!H", 1000), CLOSE))
        opcode, payload = await read_frame(reader)
        assert (opcode, payload[:2]) == (CLOSE, struct.pack("!H", 1000))
        await asyncio.wait_for(served.ended.wait(), WAIT)
        assert served.messages == ["bye"]
        assert await asyncio.wait_for(reader.read(), WAIT) == b""  # and the server closes the connection
        writer.close()


async def test_a_server_side_close_waits_for_the_clients_answer_not_for_a_timeout() -> None:
    async with reading(read=False) as (port, served):
        reader, writer = await open_websocket(port)
        await until(lambda: served.link is not None)
        assert served.link is not None
        closing = asyncio.ensure_future(served.link.close())
        opcode, _ = await read_frame(reader)
        assert opcode == CLOSE
        writer.write(client_frame(struct.pack("!H", 1000), CLOSE))
        await asyncio.wait_for(closing, 2)  # well before the closing handshake's CLOSE_TIMEOUT
        served.ended.set()
        writer.close()


async def test_a_lost_connection_ends_the_reading_after_the_messages_already_read() -> None:
    async with reading() as (port, served):
        reader, writer = await open_websocket(port)
        writer.write(client_frame(b"one") + client_frame(b"two") + client_frame(b"thr")[:4])
        await writer.drain()
        writer.transport.abort()
        await asyncio.wait_for(served.ended.wait(), WAIT)
        assert served.messages == ["one", "two"]


async def test_a_client_that_floods_a_server_not_reading_is_paused_not_buffered() -> None:
    async with reading(read=False) as (port, served):
        reader, writer = await open_websocket(port)
        await until(lambda: served.link is not None)
        link = served.link
        assert link is not None
        transport = served.transport
        assert transport is not None
        message = client_frame(b"m" * 1000)
        for _ in range(QUEUE_LIMIT // 1000 * 4):
            writer.write(message)
        await writer.drain()
        await until(lambda: not transport.is_reading())  # the server stopped reading: the kernel holds the rest
        count = 0
        while count < QUEUE_LIMIT // 1000 * 4:  # all of it still arrives, once read
            assert await asyncio.wait_for(link.receive(), WAIT) == "m" * 1000
            count += 1
        assert transport.is_reading()
        served.ended.set()
        writer.close()


async def test_a_long_stream_of_multibyte_text_keeps_flowing() -> None:
    # Korean, as Motion Beat's players write it: 3 characters, 9 bytes. What the reader counts as waiting must go
    # down by what it went up by, or a long stream would pause the socket for good.
    sent = 3 * QUEUE_LIMIT // 9 * 3  # more than QUEUE_LIMIT in bytes and in characters, several times over
    async with reading() as (port, served):
        reader, writer = await open_websocket(port)
        message = client_frame("드러머".encode())
        try:
            async with asyncio.timeout(WAIT):  # a server that stopped reading for good would hold `drain` forever
                for _ in range(sent // 1000):
                    writer.write(message * 1000)
                    await writer.drain()
            await until(lambda: len(served.messages) == sent // 1000 * 1000)
        finally:
            writer.transport.abort()
            if served.link is not None:
                served.link.abort()  # a server that stopped reading would not hear of the abort, and wait forever
        assert set(served.messages) == {"드러머"}
