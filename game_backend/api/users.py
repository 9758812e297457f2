"""REST routes for users."""

from __future__ import annotations

from aiohttp import web

from ..controllers import users
from ..keys import DB, SETTINGS
from ..tokens import issue_token
from ..validation import GuestBody
from .http import read_body

routes = web.RouteTableDef()


@routes.post("/api/users/guest")
async def guest(request: web.Request) -> web.Response:
    body = await read_body(request, GuestBody)
    identity = await users.create_guest(request.app[DB], body.nickname)
    token = issue_token(request.app[SETTINGS], identity)
    return web.json_response({"jwtoken": token, "nickname": identity.nickname, "userId": identity.user_id}, status=201)
