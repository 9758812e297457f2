"""Health. GET /healthz: liveness, the process serves (for a process manager: restart it when this fails).
GET /readyz: readiness, the database and Redis answer in time (for a load balancer: send players here or not)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from pymongo.errors import PyMongoError

from ..app_keys import DB, WORLD

routes = web.RouteTableDef()
PING_TIMEOUT = 2.0


async def _database_answers(request: web.Request) -> bool:
    try:
        await asyncio.wait_for(request.app[DB].ping(), PING_TIMEOUT)
    except (PyMongoError, TimeoutError):
        return False
    return True


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """The event loop answers. A database outage does not fail it: restarting the process would not help."""
    return web.json_response({"ok": True})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """200 when the database and (with REDIS_URL) Redis answer; otherwise 503 naming what does not."""
    database, redis = await asyncio.gather(_database_answers(request), request.app[WORLD].sio.manager.reachable())
    problems = {name: "unavailable" for name, fine in (("database", database), ("redis", redis)) if not fine}
    return web.json_response({"ok": not problems, **problems}, status=503 if problems else 200)
