"""Room events, emitted to the room only. Used by socket handlers and REST routes alike."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from ..controllers.games import RoundChange
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
    await round_change(sio, left.round)


async def departures(sio: socketio.AsyncServer, lefts: list[Departure]) -> None:
    for left in lefts:
        await departure(sio, left)


async def game_started(sio: socketio.AsyncServer, game: dict[str, Any]) -> None:
    log.info("room %s started a round of song %s", game["code"], game["song"])
    await sio.emit(f"gameStarted{game['code']}", game, room=game["code"])


async def round_change(sio: socketio.AsyncServer, change: RoundChange | None) -> None:
    """Announce what a player's step decided for the round: the shared start time, or the result."""
    if change is None:
        return
    code = change.code
    if change.start_time is not None:
        await sio.emit(f"allPlayersLoaded{code}", change.start_time, room=code)
    if change.result is not None:
        log.info("room %s finished its round: total %s", code, change.result["totalScore"])
        await sio.emit(f"allPlayersEnded{code}", change.result, room=code)
        if change.room is not None:
            await players(sio, change.room)
            await ready_state(sio, change.room)


async def user_status(sio: socketio.AsyncServer, nickname: str, online: bool) -> None:
    await sio.emit("userStatus", {"nickname": nickname, "online": online})
