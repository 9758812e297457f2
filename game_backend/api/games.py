"""REST routes of a round: start it (as the `startGame` event does), leave it, read a finished one's scores, and
replay a finished one's presses."""

from __future__ import annotations

from aiohttp import web

from ..app_keys import DB, WORLD
from ..controllers import games
from ..moves import rounds
from ..validation import CodeBody
from .http import caller, read_body
from .rooms import LEFT

routes = web.RouteTableDef()


@routes.post("/api/games/start")
async def start_game(request: web.Request) -> web.Response:
    host = caller(request)
    body = await read_body(request, CodeBody)
    app = request.app
    game = await rounds.start(app[WORLD], body.code, host.nickname)
    return web.json_response(game, status=201)


@routes.patch("/api/games/leave")
async def leave_round(request: web.Request) -> web.Response:
    """`{code}`: the caller leaves that room's round, if they are in one; answers as leaving a room does."""
    user = caller(request)
    body = await read_body(request, CodeBody)
    await rounds.leave(request.app[WORLD], body.code, user.nickname)
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
