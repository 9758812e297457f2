"""GET /healthz: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pymongo.errors import PyMongoError

from ..app_keys import DB

routes = web.RouteTableDef()
PING_TIMEOUT = 2.0


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    try:
        await asyncio.wait_for(request.app[DB].ping(), PING_TIMEOUT)
    except (PyMongoError, TimeoutError):
        return web.json_response({"ok": False, "database": "unavailable"}, status=503)
    return web.json_response({"ok": True})
