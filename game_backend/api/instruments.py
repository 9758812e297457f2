"""REST routes for instruments: the list, and picking one (Motion Beat's client picks over REST)."""

from __future__ import annotations

from aiohttp import web

from .. import announce
from ..app_keys import DB, WORLD
from ..controllers import rooms, songs
from ..validation import InstrumentBody
from .http import caller, read_body

routes = web.RouteTableDef()


@routes.get("/api/instruments")
async def list_instruments(request: web.Request) -> web.Response:
    """The instruments the song charts are written for."""
    return web.json_response(songs.instruments())


@routes.patch("/api/instruments/select")
async def select_instrument(request: web.Request) -> web.Response:
    """`{instrumentName}`: the caller's instrument in the room they sit in; the room hears `instrumentStatus`."""
    user = caller(request)
    body = await read_body(request, InstrumentBody)
    db = request.app[DB]
    code = await rooms.room_of(db, user.nickname)
    await rooms.change_instrument(db, code, user.nickname, body.instrumentName)
    await announce.instrument_changed(request.app[WORLD].sio, code, user.nickname, body.instrumentName)
    return web.json_response({"ok": True, "message": "your instrument is changed", "instrument": body.instrumentName})
