"""GET /metrics: the Prometheus text format (operations/metrics.py), with METRICS on.

With METRICS_TOKEN set it wants `Authorization: Bearer <token>`; in
production without a token it is off (404), so that the public port shows
nothing of the server's insides.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from ..app_keys import DB, METRICS, SETTINGS
from ..controllers import rooms
from ..storage.deadline import deadline, is_outage

routes = web.RouteTableDef()
log = logging.getLogger(__name__)


def _refusal(status: int, code: str, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error, "code": code}, status=status)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    counted = request.app.get(METRICS)
    if counted is None:
        return _refusal(404, "NOT_FOUND", "metrics are off (METRICS=0)")
    if settings.metrics_token is None and settings.production:
        return _refusal(404, "NOT_FOUND", "metrics are off on the public port in production; set METRICS_TOKEN")
    if settings.metrics_token is not None:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
            return _refusal(401, "NOT_AUTHENTICATED", "metrics want Authorization: Bearer <METRICS_TOKEN>")
    try:
        async with deadline(settings.database_timeout):
            counted.rooms_now(*await rooms.census(request.app[DB]))
    except Exception as error:
        if not is_outage(error):
            raise
        log.warning("metrics: the database did not answer; the room gauges keep their last values")
    return web.Response(body=counted.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})
