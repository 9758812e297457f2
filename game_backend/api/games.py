"""REST routes of a round: start it (as the `startGame` event does), leave it, read a finished one's scores, and
replay a finished one's presses."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .. import announce
from ..app_keys import DB, SETTINGS, SIO
from ..controllers import games, rooms
from ..validation import CodeBody
from .http import caller, read_body
from .rooms import LEFT

routes = web.RouteTableDef()
TUTORIAL_START_DELAY = 1.0  # seconds


@routes.post("/api/games/start")
async def start_game(request: web.Request) -> web.Response:
    user = caller(request)
    body = await read_body(request, CodeBody)
    settings = request.app[SETTINGS]
    db = request.app[DB]
    game = await games.start_game(db, body.code, user.nickname, settings.start_lead_seconds)
    if (await rooms.get_room(db, body.code))["type"] == "tutorial":
        # Motion Beat's tutorial page listens for gameStarted<code> only once this answer has arrived.
        sio = request.app[SIO]
        asyncio.get_running_loop().call_later(TUTORIAL_START_DELAY, sio.start_background_task,
                                              announce.game_started, sio, game)
    else:
        await announce.game_started(request.app[SIO], game)
    return web.json_response(game, status=201)


@routes.patch("/api/games/leave")
async def leave_round(request: web.Request) -> web.Response:
    """`{code}`: the caller leaves that room's round, if they are in one; answers as leaving a room does."""
    user = caller(request)
    body = await read_body(request, CodeBody)
    await announce.round_change(request.app[SIO], await games.leave_round(request.app[DB], body.code, user.nickname))
    return web.json_response(LEFT)


@routes.post("/api/games/finished")
async def finished_round(request: web.Request) -> web.Response:
    """`{code}`: the caller's last finished round in that room, with every player's score."""
    user = caller(request)
    body = await read_body(request, CodeBody)
    return web.json_response(await games.finished(request.app[DB], body.code, user.nickname))



@routes.get("/api/games/{id}/replay")
async def replay(request: web.Request) -> web.Response:
    """A finished round's presses and each player's notes, with the judge's table: anyone can score it again."""
    return web.json_response(await games.replay(request.app[DB], request.match_info["id"]))
