"""A WebSocket's incoming frames, read as they arrive in the common case, and handed to aiohttp for the rest.

aiohttp reads a WebSocket in three steps per message: its protocol's
`data_received` (interpreted), its frame reader and message queue (Cython),
and `WebSocketResponse.receive` (interpreted). A game's messages are almost
all the same simple case: one complete, masked, uncompressed text frame of a
few dozen bytes. `FrameReader` stands in front of aiohttp's protocol (with
asyncio's public `set_protocol`) and reads exactly that case, compiled, into a
queue of its own: a final text or binary frame, masked as RFC 6455 requires of
a client, without extension bits, with a length under 64 KiB and under the
server's message limit, and valid UTF-8 if text.

Anything else (a ping, pong or close frame, a fragment, an oversized frame,
an unmasked frame, invalid UTF-8) is aiohttp's, at the frame where it starts:
the reader gives the transport back to aiohttp's protocol with every byte not
yet read, for good, and aiohttp answers it as it always did (a pong, the
closing handshake, close codes 1002, 1007 or 1009). So the rules of the
protocol stay in one place, aiohttp's; this module only knows when a frame is
simple enough not to need them. Messages read before the hand-over are still
read first, so order is kept.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

FIN_TEXT: Final = 0x81  # FIN set, no extension bits, opcode 1
FIN_BINARY: Final = 0x82  # FIN set, no extension bits, opcode 2
MASKED: Final = 0x80
SHORT_LIMIT: Final = 126  # a 7-bit length at most 125; 126 says a 16-bit length follows (127: a 64-bit one)
QUEUE_LIMIT: Final = 64 * 1024  # bytes read but not yet taken, above which the socket stops being read


class HandedBack:
    """What `read` returns once aiohttp reads the socket: ask `WebSocketResponse.receive` from then on."""


HANDED_BACK: Final = HandedBack()


def unmask(payload: bytes, mask: bytes) -> bytes:
    """`payload` XOR the 4-byte `mask` repeated (RFC 6455, section 5.3), as one big-integer operation."""
    size = len(payload)
    if size == 0:
        return payload
    key = (mask * ((size >> 2) + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(size, "little")


class FrameReader:
    """Reads one WebSocket's simple frames in front of aiohttp's protocol, until a frame that is not simple."""

    __slots__ = (
        "_transport",
        "_aiohttp",
        "_loop",
        "_max_bytes",
        "_buffer",
        "_messages",
        "_taken",
        "_queued",
        "_paused",
        "_writing_paused",
        "_waiter",
        "_state",
    )

    def __init__(self, transport: asyncio.Transport, max_bytes: int) -> None:
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self._aiohttp: Any = transport.get_protocol()
        self._max_bytes = max_bytes
        self._buffer = b""  # the start of a frame that has not all arrived
        # Read, not yet taken: _messages[_taken:]. A list, emptied whenever all is taken (an empty deque would
        # cost an idle socket about 600 bytes).
        self._messages: list[str | bytes] = []
        self._taken = 0
        self._queued = 0  # the size of what is read, not yet taken (len of each message: taken off as it was added)
        self._paused = False  # reading paused here while _queued is over QUEUE_LIMIT
        self._writing_paused = False  # the transport's write buffer is over its high-water mark
        self._waiter: asyncio.Future[None] | None = None
        self._state = "reading"  # "handed back" to aiohttp, or "lost" with the connection
        transport.set_protocol(self)  # type: ignore[arg-type]

    # What `read` hands out

    async def read(self) -> str | bytes | HandedBack | None:
        """The next message; HANDED_BACK once the rest is aiohttp's, None once the connection is lost."""
        messages = self._messages
        while self._taken == len(messages):
            if self._state != "reading":
                return None if self._state == "lost" else HANDED_BACK
            waiter = self._waiter = self._loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        message = messages[self._taken]
        self._taken += 1
        if self._taken == len(messages):
            messages.clear()
            self._taken = 0
            self._queued = 0
        else:
            self._queued -= len(message)
        if self._paused and self._queued < QUEUE_LIMIT // 2:
            self._resume()
        return message

    @property
    def writes_flow(self) -> bool:
        """The transport has not asked its protocol (this reader, still in front) to pause writing: what waits to
        be sent is under its high-water mark, so the writer need not ask how much that is."""
        return not self._writing_paused and self._state == "reading"

    def hand_back(self) -> None:
        """Give the socket to aiohttp now (to close it, say): it reads from the first byte not read here."""
        if self._state != "reading":
            return
        self._state = "handed back"
        self._transport.set_protocol(self._aiohttp)
        if self._paused:
            self._resume()  # from now on aiohttp's reader decides when to pause
        rest, self._buffer = self._buffer, b""
        if rest:
            self._aiohttp.data_received(rest)
        self._wake()

    def _resume(self) -> None:
        self._paused = False
        if not self._transport.is_closing():
            self._transport.resume_reading()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # The protocol's callbacks (asyncio.Protocol)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        size = len(buffer)
        at = 0
        while size - at >= 6:  # the shortest masked frame: 2 bytes of header, 4 of mask
            opcode = buffer[at]
            length = buffer[at + 1]
            if (opcode != FIN_TEXT and opcode != FIN_BINARY) or length < MASKED:
                break  # not simple: aiohttp's
            length -= MASKED
            mask_at = at + 2
            if length >= SHORT_LIMIT:
                if length > SHORT_LIMIT:
                    break  # a 64-bit length: aiohttp's
                if size - at < 8:
                    self._keep(buffer, at)
                    return
                length = (buffer[at + 2] << 8) | buffer[at + 3]
                mask_at = at + 4
            if length > self._max_bytes:
                break  # over the limit: aiohttp closes with 1009
            start = mask_at + 4
            end = start + length
            if end > size:
                self._keep(buffer, at)
                return
            payload = unmask(buffer[start:end], buffer[mask_at:start])
            if opcode == FIN_TEXT:
                try:
                    message: str | bytes = payload.decode()
                except UnicodeDecodeError:
                    break  # aiohttp closes with 1007
            else:
                message = payload
            self._messages.append(message)
            self._queued += len(message)
            at = end
        else:
            self._keep(buffer, at)
            return
        self._buffer = buffer[at:]
        self.hand_back()

    def _keep(self, buffer: bytes, at: int) -> None:
        """Frames up to `at` are read; keep the rest for the next read, and wake the reader."""
        self._buffer = buffer[at:] if at < len(buffer) else b""
        if self._taken < len(self._messages):
            self._wake()
            if self._queued > QUEUE_LIMIT and not self._paused:
                self._paused = True
                self._transport.pause_reading()

    def eof_received(self) -> bool | None:
        result: bool | None = self._aiohttp.eof_received()
        return result

    def connection_lost(self, error: Exception | None) -> None:
        self._state = "lost"
        self._aiohttp.connection_lost(error)
        self._wake()

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._aiohttp.pause_writing()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._aiohttp.resume_writing()
