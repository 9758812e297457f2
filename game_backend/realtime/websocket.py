"""The WebSocket under Engine.IO: permessage-deflate by setting (WS_COMPRESSION), and a lean send.

aiohttp's WebSocketResponse accepts the compression extension whenever a client
offers it, and python-engineio's aiohttp driver creates that response with no
say in it. Browsers and Node's `ws` always offer it. A compressed socket keeps
a zlib deflate and inflate context for its whole life: measured here, about
120 KB per idle socket instead of about 32 KB, and more CPU per message, for
game payloads of a few dozen bytes that barely compress. So it is off by
default, and this server's driver creates the response with `compress` set
from the setting: off, the handshake answer leaves the extension out (as
RFC 7692 has a server decline it), and the connection is uncompressed.

The same class sends each message with one call, where the library's asks
`inspect` whether the send method is a coroutine on every message.
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp import web


def configure_websocket(sio: socketio.AsyncServer, compression: bool) -> None:
    """Give this server's Engine.IO driver a WebSocket class that negotiates compression only if `compression`."""
    driver = dict(sio.eio._async)  # a private copy: the driver's table is shared module state
    library_websocket = driver["websocket"]

    class WebSocket(library_websocket):  # type: ignore[misc, valid-type]
        async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
            self._sock = web.WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=compression)
            await self._sock.prepare(environ["aiohttp.request"])
            self.environ = environ
            await self.handler(self)
            return self._sock

        async def send(self, message: str | bytes) -> None:
            if isinstance(message, str):
                await self._sock.send_str(message)
            else:
                await self._sock.send_bytes(message)

    driver["websocket"] = WebSocket
    sio.eio._async = driver
