"""Room events, emitted to the room only. Used by socket handlers and REST routes alike."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from ..controllers.rooms import Departure, all_ready

log = logging.getLogger(__name__)


async def players(sio: socketio.AsyncServer, room: dict[str, Any]) -> None:
    await sio.emit(f"players{room['code']}", room["players"], room=room["code"])


async def ready_state(sio: socketio.AsyncServer, room: dict[str, Any]) -> None:
    await sio.emit("allReady", all_ready(room), room=room["code"])


async def departure(sio: socketio.AsyncServer, left: Departure) -> None:
    """Tell the room who is left, who is host now, and whether everyone left is ready."""
    if left.room is None:
        log.info("%s left room %s, which is now empty and deleted", left.nickname, left.code)
        return
    log.info("%s left room %s", left.nickname, left.code)
    await sio.emit(f"leftRoom{left.code}", left.room["players"], room=left.code)
    if left.new_host is not None:
        log.info("%s is now the host of room %s", left.new_host, left.code)
        await sio.emit("hostChanged", left.new_host, room=left.code)
    await ready_state(sio, left.room)


async def departures(sio: socketio.AsyncServer, lefts: list[Departure]) -> None:
    for left in lefts:
        await departure(sio, left)


async def user_status(sio: socketio.AsyncServer, nickname: str, online: bool) -> None:
    await sio.emit("userStatus", {"nickname": nickname, "online": online})
