"""permessage-deflate on the WebSocket transport, on or off by setting (WS_COMPRESSION).

aiohttp's WebSocketResponse accepts the compression extension whenever a client
offers it, and python-engineio's aiohttp driver has no switch for it. Browsers
and Node's `ws` always offer it. A compressed socket keeps a zlib deflate and
inflate context for its whole life: measured here, about 124 KB per idle socket
instead of about 30 KB, and a fifth more CPU, for game payloads of a few dozen
bytes that barely compress. So it is off by default.

When off, this middleware hides the client's offer (the `Sec-WebSocket-Extensions`
request header) from the handshake, so the server answers without the
extension and the connection is uncompressed, as RFC 7692 intends for a server
that declines. When on, requests pass unchanged and aiohttp negotiates it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from multidict import CIMultiDict

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def websocket_compression(enabled: bool) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """An aiohttp middleware that lets WebSocket handshakes negotiate compression only if `enabled`."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if enabled or hdrs.SEC_WEBSOCKET_EXTENSIONS not in request.headers:
            return await handler(request)
        headers = CIMultiDict(request.headers)
        del headers[hdrs.SEC_WEBSOCKET_EXTENSIONS]
        return await handler(request.clone(headers=headers))

    return middleware
