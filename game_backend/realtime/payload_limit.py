"""Refuse a long-polling packet over MAX_PAYLOAD_BYTES without leaving a request hanging.

python-engineio (4.15) answers an oversized polling POST by closing the session
and then waiting for the CLOSE packet to be fetched by the next GET; but the
socket is already marked closed, so that GET is refused and the POST handler
waits forever (one stuck task per offending request, and a server that needs
its shutdown timeout to stop). Here such a POST is answered 413 at once and
its session closed without waiting: the client is dropped, its disconnect is
handled like any other (it leaves its room), and nobody else notices.

Over WebSocket the limit needs no help: aiohttp closes a connection whose
message is larger than `max_msg_size`, which python-engineio sets to the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..keys import SETTINGS, SIO

log = logging.getLogger(__name__)

ENGINE_IO_PATH = "/socket.io/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_polling_post(request: web.Request) -> bool:
    """A long-polling client sending packets: the requests the limit applies to."""
    return request.method == "POST" and request.path == ENGINE_IO_PATH


def polling_payload_limit() -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """A middleware for the Engine.IO endpoint's POST requests (scope it with `is_polling_post`)."""

    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        maximum = request.app[SETTINGS].max_payload_bytes
        if (request.content_length or 0) <= maximum:
            return await handler(request)
        engine = request.app[SIO].eio
        socket = engine.sockets.get(request.query.get("sid", ""))
        if socket is not None:
            log.info("closing Engine.IO session %s: a %d-byte packet is over the %d-byte limit",
                     socket.sid, request.content_length, maximum)
            await socket.close(wait=False, reason=engine.reason.TRANSPORT_ERROR)
        return web.Response(status=413, text=f"packet too large: the limit is {maximum} bytes")

    return limit
