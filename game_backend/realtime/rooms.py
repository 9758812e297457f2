"""Socket.IO events of a room: join, ready, instrument, song, leave."""

from __future__ import annotations

import logging

from .. import announce
from ..controllers import chat, rooms
from ..moves import seats
from ..validation import ChangeInstrument, ChangeSong, JoinRoom, RoomCode
from .router import Ack, EventContext, EventRouter

log = logging.getLogger(__name__)
router = EventRouter()


@router.event("joinRoom", JoinRoom)
async def join_room(ctx: EventContext, payload: JoinRoom) -> Ack:
    if payload.nickname is not None:
        ctx.connection.require_self(payload.nickname)
    seat = await rooms.keep_or_join(ctx.db, payload.code, ctx.nickname)
    # A seat taken now moves every socket of the player; one they had already, moved them when it was taken
    # (or when they connected), so only this socket is sure to follow it: no lookup of the others.
    await announce.seated(ctx.sio, await ctx.sockets() if seat.joined else [ctx.sid], seat)
    room = seat.room
    if seat.joined:
        log.info("%s joined room %s", ctx.nickname, room["code"])
    await announce.players(ctx.sio, room)
    if room["hostName"] != ctx.nickname:
        await announce.ready_state(ctx.sio, room)
    history = await chat.recent_messages(ctx.db, room["code"])
    return {"ok": True, "room": room, "messages": history}


@router.event("ready")
async def toggle_ready(ctx: EventContext, _: None) -> Ack:
    room = await rooms.toggle_ready(ctx.db, ctx.room(), ctx.nickname)
    ready = await announce.ready_status(ctx.sio, room, ctx.nickname)
    return {"ok": True, "isReady": ready, "allReady": rooms.all_ready(room)}


@router.event("changeInstrument", ChangeInstrument)
async def change_instrument(ctx: EventContext, payload: ChangeInstrument) -> Ack:
    await rooms.change_instrument(ctx.db, payload.roomCode, ctx.nickname, payload.instrument)
    await announce.instrument_changed(ctx.sio, payload.roomCode, ctx.nickname, payload.instrument)
    return {"ok": True}


@router.event("changeSong", ChangeSong)
async def change_song(ctx: EventContext, payload: ChangeSong) -> Ack:
    song = await rooms.change_song(ctx.db, payload.roomCode, ctx.nickname, payload.song_number)
    await announce.song_changed(ctx.sio, payload.roomCode, song)
    return {"ok": True, "song": song}


@router.event("leaveRoom", RoomCode)
async def leave_room(ctx: EventContext, code: str) -> Ack:
    await seats.leave(ctx.world, ctx.connection.user, code)
    return {"ok": True}
