"""REST route for a song's best results."""

from __future__ import annotations

from aiohttp import web

from ..app_keys import DB
from ..controllers import rankings, songs
from ..validation import RankingLimit, SongNumber, SongTitle, parse
from .http import path_param

routes = web.RouteTableDef()


@routes.get("/api/rankings/{song}")
async def best_results(request: web.Request) -> web.Response:
    """A song's results by its number, or by its title (as Motion Beat's client asks); `?limit=N` (1 to 100),
    `?judged=true` for the entries the server judged whole."""
    song = request.match_info["song"]
    if song.isascii() and song.isdigit():
        number = path_param(request, "song", SongNumber)
    else:
        number = await songs.number_titled(request.app[DB], parse(SongTitle, song, "song", strict=False))
    limit: int = parse(RankingLimit, request.query.get("limit", rankings.DEFAULT_LIMIT), "limit", strict=False)
    judged_only: bool = parse(bool, request.query.get("judged", "false"), "judged", strict=False)
    return web.json_response(await rankings.best_results(request.app[DB], number, limit, judged_only))
