"""REST route for a song's best results."""

from __future__ import annotations

from aiohttp import web

from ..app_keys import DB
from ..controllers import rankings
from ..validation import RankingLimit, SongNumber, parse
from .http import path_param

routes = web.RouteTableDef()


@routes.get("/api/rankings/{number}")
async def best_results(request: web.Request) -> web.Response:
    """`?limit=N` (1 to 100, default 10) bounds the list."""
    number = path_param(request, "number", SongNumber)
    limit = parse(RankingLimit, request.query.get("limit", rankings.DEFAULT_LIMIT), "limit", strict=False)
    return web.json_response(await rankings.best_results(request.app[DB], number, limit))
