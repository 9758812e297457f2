"""The WebSocket under Engine.IO: permessage-deflate by setting (WS_COMPRESSION), and coalesced sends.

Compression. aiohttp's WebSocketResponse accepts the compression extension
whenever a client offers it, and python-engineio's aiohttp driver creates that
response with no say in it. Browsers and Node's `ws` always offer it. A
compressed socket keeps a zlib deflate and inflate context for its whole life:
measured here, about 120 KB per idle socket instead of about 32 KB, and a tenth
more CPU per message, for game payloads of a few dozen bytes that barely
compress. So it is off by default, and this server's driver creates the
response with `compress` set from the setting: off, the handshake answer
leaves the extension out (as RFC 7692 has a server decline it).

Sends. Writing a frame is a system call, and on a busy server it was half of
the time spent relaying a `hit`. Messages that Engine.IO hands over for one
socket within one turn of the event loop (under load, several per socket) are
framed here and written together, once, at the end of that turn. Order is kept:
anything that cannot be coalesced (a compressed or binary frame, a large
message, a socket whose peer reads slowly) first writes out what is waiting and
then goes through aiohttp as usual, with its flow control.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import socketio
from aiohttp import web

COALESCE_MAX = 16 * 1024  # bytes: a larger message is written on its own
UNSENT_LIMIT = 64 * 1024  # bytes the transport may hold before sends wait for the peer, as aiohttp's do
TEXT = 0x81  # FIN + text opcode; a server's frames are not masked


def text_frame(payload: bytes) -> bytes:
    """One unmasked, uncompressed WebSocket text frame (RFC 6455, section 5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((TEXT, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", TEXT, 126, size) + payload
    return struct.pack("!BBQ", TEXT, 127, size) + payload


def configure_websocket(sio: socketio.AsyncServer, compression: bool) -> None:
    """Give this server's Engine.IO driver a WebSocket class that negotiates compression only if `compression`."""
    driver = dict(sio.eio._async)  # a private copy: the driver's table is shared module state
    library_websocket = driver["websocket"]

    class WebSocket(library_websocket):  # type: ignore[misc, valid-type]
        _frames: list[bytes]
        _transport: asyncio.Transport | None

        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            request: web.Request = environ["aiohttp.request"]
            self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=compression)
            await self._sock.prepare(request)
            self._frames = []
            self._transport = request.transport  # type: ignore[assignment]
            self.environ = environ
            await self.handler(self)
            return self._sock

        async def send(self, message: str | bytes) -> None:
            transport = self._transport
            if (compression or not isinstance(message, str) or len(message) > COALESCE_MAX or transport is None
                    or transport.get_write_buffer_size() > UNSENT_LIMIT):
                self._flush()
                if isinstance(message, str):
                    await self._sock.send_str(message)
                else:
                    await self._sock.send_bytes(message)
                return
            if transport.is_closing():
                raise ConnectionResetError("Cannot write to closing transport")
            self._frames.append(text_frame(message.encode()))
            if len(self._frames) == 1:
                asyncio.get_running_loop().call_soon(self._flush)

        def _flush(self) -> None:
            if not self._frames:
                return
            data = self._frames[0] if len(self._frames) == 1 else b"".join(self._frames)
            self._frames.clear()
            if self._transport is not None and not self._transport.is_closing():
                self._transport.write(data)

        async def close(self) -> None:
            self._flush()
            await self._sock.close()

    driver["websocket"] = WebSocket
    sio.eio._async = driver
