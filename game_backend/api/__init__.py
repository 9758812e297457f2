"""REST routes (JSON, prefix /api) and /healthz."""

from __future__ import annotations

from aiohttp import web

from ..edge.shared_limits import SharedLimits
from . import games, health, instruments, metrics, rankings, rooms, songs, users
from .http import identify, json_errors

ROUTE_TABLES = (
    health.routes,
    metrics.routes,
    users.routes,
    rooms.routes,
    songs.routes,
    instruments.routes,
    games.routes,
    rankings.routes,
)

__all__ = ["identify", "json_errors", "setup_routes"]


def setup_routes(app: web.Application, limits: SharedLimits | None = None) -> None:
    """The routes; `limits` (with REDIS_URL) counts the sign-in throttle across processes."""
    for table in ROUTE_TABLES:
        app.router.add_routes(table)
    users.setup(app, limits)
