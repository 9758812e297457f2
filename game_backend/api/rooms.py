"""REST routes for rooms. The same controllers as the Socket.IO events."""

from __future__ import annotations

from aiohttp import web

from ..app_keys import DB, WORLD
from ..controllers import rooms
from ..moves import seats
from ..validation import CodeBody, CreateRoomBody, RoomCode
from .http import caller, path_param, read_body

routes = web.RouteTableDef()
# What leaving answers; Motion Beat's client goes back to its main page only when `message` is "redirect".
LEFT = {"ok": True, "message": "redirect"}


async def _seated(request: web.Request, seat: rooms.Seat, status: int = 200) -> web.Response:
    await seats.seat(request.app[WORLD], caller(request), seat)
    return web.json_response(seat.room, status=status)


@routes.post("/api/rooms/create")
async def create_room(request: web.Request) -> web.Response:
    user = caller(request)
    body = await read_body(request, CreateRoomBody)
    seat = await rooms.create_room(request.app[DB], user.nickname, body.type)
    return await _seated(request, seat, status=201)


@routes.post("/api/rooms/tutorial")
async def create_tutorial(request: web.Request) -> web.Response:
    """A tutorial room: the caller alone, the tutorial song (0), instrument drum1."""
    user = caller(request)
    return await _seated(request, await rooms.create_tutorial(request.app[DB], user.nickname), status=201)


@routes.post("/api/rooms/match")
async def quick_match(request: web.Request) -> web.Response:
    user = caller(request)
    return await _seated(request, await rooms.quick_match(request.app[DB], user.nickname))


@routes.patch("/api/rooms/join/{code}")
async def join_room(request: web.Request) -> web.Response:
    user = caller(request)
    code = path_param(request, "code", RoomCode)
    return await _seated(request, await rooms.join_room(request.app[DB], code, user.nickname))


@routes.patch("/api/rooms/leave")
async def leave_room(request: web.Request) -> web.Response:
    user = caller(request)
    body = await read_body(request, CodeBody)
    await seats.leave(request.app[WORLD], user, body.code)
    return web.json_response(LEFT)


@routes.get("/api/rooms/playerinfo/{code}")
async def player_info(request: web.Request) -> web.Response:
    caller(request)
    code = path_param(request, "code", RoomCode)
    return web.json_response(await rooms.players(request.app[DB], code))


@routes.get("/api/rooms")
async def joinable_rooms(request: web.Request) -> web.Response:
    return web.json_response(await rooms.joinable_rooms(request.app[DB]))
