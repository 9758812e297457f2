"""REST routes (JSON, prefix /api) and /healthz."""

from __future__ import annotations

from aiohttp import web

from . import games, health, instruments, rankings, rooms, songs, users
from .http import identify, json_errors

ROUTE_TABLES = (health.routes, users.routes, rooms.routes, songs.routes, instruments.routes, games.routes,
                rankings.routes)

__all__ = ["identify", "json_errors", "setup_routes"]


def setup_routes(app: web.Application) -> None:
    for table in ROUTE_TABLES:
        app.router.add_routes(table)
    users.setup(app)
