"""The WebSocket under one Engine.IO socket: compression by setting, and writes coalesced per loop turn.

Compression. aiohttp's WebSocketResponse accepts the permessage-deflate
extension whenever a client offers it, and browsers and Node's `ws` always
offer it. A compressed socket keeps a zlib deflate and inflate context for its
whole life: measured here, about 120 KB per idle socket instead of about 30 KB,
and a tenth more CPU per message, for game payloads of a few dozen bytes that
barely compress. So it is off by default (WS_COMPRESSION): off, the handshake
answer leaves the extension out, as RFC 7692 has a server decline it.

Writes. Writing a frame is a system call, and on a busy server it is the
largest single cost of relaying a `hit`. Frames written to one socket within
one turn of the event loop (under load, several per socket) are joined and
written once, at the end of that turn, by the server's TurnWriter: one
callback per turn for every socket written to. Joining saves a write only for a
socket's second frame of a turn and those after it: the first would only
wait. So a turn that follows a light one (at most LIGHT_TURN frames) writes
each socket's first frame at once and joins the ones after it, and a turn
that follows a heavier one joins them all (each policy tried is measured in
docs/benchmarks.md: joining every frame held p50 at 24,000/s at 0.75 ms,
writing every frame at once cost 17% more CPU). Writing never waits: a
room emit hands the same frame to every recipient in one pass. A peer that
stops reading while frames pile up (more than SLOW_PEER_LIMIT unsent) is cut
off rather than allowed to grow the server's memory without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct

from aiohttp import WSMsgType, web

from .frames import FrameReader, HandedBack

log = logging.getLogger(__name__)

SLOW_PEER_LIMIT = 1024 * 1024  # unsent bytes after which a peer counts as gone
LIGHT_TURN = 64  # frames: a turn that wrote at most this many was light
CLOSE_TIMEOUT = 5.0  # seconds a closing handshake may take before the connection is dropped
TEXT = 0x81  # FIN + text opcode; a server's frames are not masked
BINARY = 0x82
DATA_MESSAGES = (WSMsgType.TEXT, WSMsgType.BINARY)


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """One unmasked, uncompressed WebSocket frame (RFC 6455, section 5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((opcode, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", opcode, 126, size) + payload
    return struct.pack("!BBQ", opcode, 127, size) + payload


def message_frame(message: str | bytes) -> bytes:
    """The frame of one message: a text frame for str, a binary frame for bytes."""
    return frame(message.encode()) if isinstance(message, str) else frame(message, BINARY)


class TurnWriter:
    """This turn of the event loop's frames: which go out at once, and the sockets whose frames wait for its end."""

    __slots__ = ("turn", "_links", "_light", "_frames", "_ending", "_loop")

    def __init__(self) -> None:
        self.turn = 1  # this turn's number, counting the turns that wrote (a socket's `wrote_in` starts at 0)
        self._loop: asyncio.AbstractEventLoop | None = None  # taken once: asking for it costs a getpid() each time
        self._links: list[WebSocketLink] = []
        self._light = True  # the turn before this one wrote at most LIGHT_TURN frames
        self._frames = 0  # frames written this turn, at once or not
        self._ending = False  # the end of the turn is scheduled

    def at_once(self, waiting: bool, wrote_in: int) -> bool:
        """Count a frame written this turn; True if it goes out at once: the turn follows a light one, and its socket
        has no frame `waiting` and wrote none at once this turn (`wrote_in`: the turn it last did)."""
        self._frames += 1
        if not self._ending:
            self._ending = True
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            loop.call_soon(self._end_turn)
        return self._light and not waiting and wrote_in != self.turn

    def add(self, link: WebSocketLink) -> None:
        """`link` has frames waiting for the end of the turn."""
        self._links.append(link)

    def _end_turn(self) -> None:
        self._light = self._frames <= LIGHT_TURN
        self._frames = 0
        self._ending = False
        self.turn += 1
        links, self._links = self._links, []
        for link in links:
            link.flush()


class WebSocketLink:
    """An accepted WebSocket: `write` frames without waiting, `receive` messages, `close` once."""

    __slots__ = (
        "response",
        "takes_frames",
        "_transport",
        "_writer",
        "_frames",
        "_compressed",
        "_last_send",
        "_reader",
        "_wrote_in",
    )

    def __init__(
        self,
        response: web.WebSocketResponse,
        transport: asyncio.Transport,
        writer: TurnWriter,
        compressed: bool,
        max_message_bytes: int,
    ) -> None:
        self.response = response
        self._transport = transport
        self._writer = writer
        self._frames: list[bytes] = []
        self._compressed = compressed
        self.takes_frames = not compressed  # pre-encoded frames (write_frame) are sent as they are
        self._last_send: asyncio.Future[None] | None = None
        self._wrote_in = 0  # the last turn (TurnWriter.turn) in which a frame went out at once
        # Simple frames are read here until one is not (frames.py); a compressed socket's are all aiohttp's.
        self._reader: FrameReader | None = None if compressed else FrameReader(transport, max_message_bytes)

    @classmethod
    async def accept(
        cls, request: web.Request, max_message_bytes: int, compression: bool, writer: TurnWriter
    ) -> WebSocketLink:
        """Answer the upgrade request; the extension is negotiated only if `compression`."""
        response = web.WebSocketResponse(max_msg_size=max_message_bytes, compress=compression, timeout=CLOSE_TIMEOUT)
        await response.prepare(request)
        transport: asyncio.Transport = request.transport  # type: ignore[assignment]
        return cls(response, transport, writer, compressed=bool(response.compress), max_message_bytes=max_message_bytes)

    def write(self, message: str | bytes) -> None:
        """Send one message (text for str, binary for bytes): at once, or with the turn's other frames at its end."""
        if self._compressed:
            self._send_compressed(message)
        else:
            self.write_frame(message_frame(message))

    def write_frame(self, encoded: bytes) -> None:
        """Send a frame already encoded with `message_frame` (one encoding shared by a room's recipients)."""
        if self._compressed:
            raise ValueError("a compressed WebSocket cannot take pre-encoded frames")
        frames = self._frames
        writer = self._writer
        if writer.at_once(bool(frames), self._wrote_in):
            self._wrote_in = writer.turn
            self._send(encoded)
            return
        frames.append(encoded)
        if len(frames) == 1:
            writer.add(self)

    def flush(self) -> None:
        frames = self._frames
        if not frames:
            return
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        frames.clear()
        self._send(data)

    def _send(self, data: bytes) -> None:
        transport = self._transport
        if transport.is_closing():
            return
        # Only once the transport asked to pause writing can SLOW_PEER_LIMIT be near: its high-water mark (64 KiB
        # unless set otherwise) is far under it. Without the frame reader in front, nobody hears that ask.
        reader = self._reader
        if (reader is None or not reader.writes_flow) and transport.get_write_buffer_size() > SLOW_PEER_LIMIT:
            log.warning(
                "cutting off a WebSocket peer that is not reading (%d bytes unsent)", transport.get_write_buffer_size()
            )
            transport.abort()
            return
        transport.write(data)

    def _send_compressed(self, message: str | bytes) -> None:
        """Compressed frames go through aiohttp, which holds the deflate context: one task each, in order."""
        self._last_send = asyncio.ensure_future(self._send_after(self._last_send, message))

    async def _send_after(self, previous: asyncio.Future[None] | None, message: str | bytes) -> None:
        if previous is not None:
            await asyncio.wait((previous,))
        if self.response.closed:
            return
        with contextlib.suppress(ConnectionError):
            if isinstance(message, str):
                await self.response.send_str(message)
            else:
                await self.response.send_bytes(message)

    async def receive(self) -> str | bytes | None:
        """The next text or binary message; None once the peer is gone or the socket is closing."""
        reader = self._reader
        if reader is not None:
            read = await reader.read()
            if not isinstance(read, HandedBack):
                return read
            self._reader = None
        message = await self.response.receive()
        return message.data if message.type in DATA_MESSAGES else None

    async def close(self) -> None:
        """Send what is waiting and close; from another task, this wakes the task blocked in `receive`."""
        if self._reader is not None:
            self._reader.hand_back()  # aiohttp reads the peer's answer to its closing frame
        self.flush()
        await self.response.close(drain=False)

    def abort(self) -> None:
        """Drop the connection at once, without a closing handshake (for a peer that stopped answering)."""
        self._frames.clear()
        self._transport.abort()
