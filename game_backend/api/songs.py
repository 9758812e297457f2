"""REST routes for the song catalogue."""

from __future__ import annotations

from aiohttp import web

from ..app_keys import DB
from ..controllers import songs
from ..validation import SongNumber
from .http import path_param

routes = web.RouteTableDef()


@routes.get("/api/songs")
async def list_songs(request: web.Request) -> web.Response:
    return web.json_response(await songs.list_songs(request.app[DB]))


@routes.get("/api/songs/{number}")
async def get_song(request: web.Request) -> web.Response:
    number = path_param(request, "number", SongNumber)
    return web.json_response(await songs.get_song(request.app[DB], number))
