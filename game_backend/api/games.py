"""REST route to start a round: the same controller and room event as the `startGame` event."""

from __future__ import annotations

from aiohttp import web

from .. import announce
from ..app_keys import DB, SETTINGS, SIO
from ..controllers import games
from ..validation import CodeBody
from .http import caller, read_body

routes = web.RouteTableDef()


@routes.post("/api/games/start")
async def start_game(request: web.Request) -> web.Response:
    user = caller(request)
    body = await read_body(request, CodeBody)
    settings = request.app[SETTINGS]
    game = await games.start_game(request.app[DB], body.code, user.nickname, settings.start_lead_seconds)
    await announce.game_started(request.app[SIO], game)
    return web.json_response(game, status=201)
