"""Socket.IO events of a room: join, ready, instrument, song, leave."""

from __future__ import annotations

import logging

from ..controllers import chat, rooms
from ..validation import ChangeInstrument, ChangeSong, JoinRoom, RoomCode
from . import announce
from .router import Ack, EventContext, EventRouter

log = logging.getLogger(__name__)
router = EventRouter()


@router.event("joinRoom", JoinRoom)
async def join_room(ctx: EventContext, payload: JoinRoom) -> Ack:
    ctx.connection.require_self(payload.nickname)
    seat = await rooms.join_room(ctx.db, payload.code, ctx.nickname)
    await announce.departures(ctx.sio, seat.departures)
    room = seat.room
    await ctx.subscribe(room["code"])
    if seat.joined:
        log.info("%s joined room %s", ctx.nickname, room["code"])
    await announce.players(ctx.sio, room)
    if room["hostName"] != ctx.nickname:
        await announce.ready_state(ctx.sio, room)
    history = await chat.recent_messages(ctx.db, room["code"])
    return {"ok": True, "room": room, "messages": history}


@router.event("ready")
async def toggle_ready(ctx: EventContext, _: None) -> Ack:
    room = await rooms.toggle_ready(ctx.db, ctx.connection.current_room(), ctx.nickname)
    me = next(player for player in room["players"] if player["nickname"] == ctx.nickname)
    await ctx.sio.emit("readyStatus", {"nickname": ctx.nickname, "isReady": me["isReady"]}, room=room["code"])
    await announce.ready_state(ctx.sio, room)
    return {"ok": True, "isReady": me["isReady"], "allReady": rooms.all_ready(room)}


@router.event("changeInstrument", ChangeInstrument)
async def change_instrument(ctx: EventContext, payload: ChangeInstrument) -> Ack:
    await rooms.change_instrument(ctx.db, payload.roomCode, ctx.nickname, payload.instrument)
    await ctx.sio.emit(
        "instChanged", {"nickname": ctx.nickname, "instrument": payload.instrument}, room=payload.roomCode
    )
    return {"ok": True}


@router.event("changeSong", ChangeSong)
async def change_song(ctx: EventContext, payload: ChangeSong) -> Ack:
    song = await rooms.change_song(ctx.db, payload.roomCode, ctx.nickname, payload.song_number)
    await ctx.sio.emit("songChanged", song, room=payload.roomCode)
    return {"ok": True, "song": song}


@router.event("leaveRoom", RoomCode)
async def leave_room(ctx: EventContext, code: str) -> Ack:
    left = await rooms.leave_room(ctx.db, code, ctx.nickname)
    await ctx.unsubscribe(code)
    await announce.departure(ctx.sio, left)
    return {"ok": True}
