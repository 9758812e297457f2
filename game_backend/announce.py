"""Room events: what a rule's outcome tells the players, and who follows which room. The only module that emits.

Socket handlers (realtime/) and REST routes (api/) both call a controller and
hand its result here. A player's sockets follow the room the database says
the player sits in: whichever way a seat was taken or given up (by socket, by
REST, on any process), `follow` moves every socket of that player, through the
client manager (so through Redis when several processes share rooms).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import socketio

from .controllers.games import RoundChange
from .controllers.rooms import Departure, Seat, all_ready
from .room_codes import is_room_code
from .transport.socketio import delivery

log = logging.getLogger(__name__)

WATCH_PREFIX = "watch:"  # the room of those who follow a player's online status: `watch:<nickname>`


# Who follows which room


async def follow(sio: socketio.AsyncServer, sids: list[str], code: str | None, left: Iterable[str] = ()) -> None:
    """The player's sockets stop following the rooms `left` (and any other) and follow room `code` (None: none).

    A socket of this process leaves every other room it follows; one on another process leaves `left`.
    """
    for sid in sids:
        for old in {*left, *game_rooms(sio, sid)} - {code}:
            await sio.leave_room(sid, old)
        if code is not None and not follows(sio, sid, code):  # a socket of another process: asked all the same
            await sio.enter_room(sid, code)


def game_rooms(sio: socketio.AsyncServer, sid: str) -> set[str]:
    """The game rooms (named by their codes) a socket of this process follows."""
    return {room for room in sio.manager.rooms_of(sid) if is_room_code(room)}


def followed_room(sio: socketio.AsyncServer, sid: str) -> str | None:
    """The game room a socket of this process follows, if any."""
    return next(iter(game_rooms(sio, sid)), None)


def follows(sio: socketio.AsyncServer, sid: str, code: str) -> bool:
    """Whether a socket of this process follows room `code` (without scanning every room: `hit` asks it)."""
    joined = sio.manager.joined.get(("/", sid))
    return joined is not None and code in joined


# Seats


async def seated(sio: socketio.AsyncServer, sids: list[str], seat: Seat) -> None:
    """A player took (or kept) a seat: the rooms they left hear it, and their sockets follow the new room."""
    await departures(sio, seat.departures)
    await follow(sio, sids, seat.room["code"], [left.code for left in seat.departures])


async def seat_restored(sio: socketio.AsyncServer, sid: str, room: dict[str, Any]) -> None:
    """To one returning socket: the room it is back in (it follows the room's events again without joinRoom)."""
    await sio.emit("seatRestored", {"room": room}, to=sid)


async def seat_lost(sio: socketio.AsyncServer, sid: str, code: str) -> None:
    """To one returning socket: the seat it held in room `code` was given up while it was away."""
    await sio.emit(
        "seatLost",
        {
            "code": code,
            "reason": "GRACE_EXPIRED",
            "message": f"you were away too long and lost your seat in room {code}; join a room again",
        },
        to=sid,
    )


async def departure(sio: socketio.AsyncServer, left: Departure) -> None:
    """Tell the room who is left, who is host now, whether everyone left is ready, and what it did to the round."""
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


async def players(sio: socketio.AsyncServer, room: dict[str, Any]) -> None:
    await sio.emit(f"players{room['code']}", room["players"], room=room["code"])


async def ready_state(sio: socketio.AsyncServer, room: dict[str, Any]) -> None:
    await sio.emit("allReady", all_ready(room), room=room["code"])


async def ready_status(sio: socketio.AsyncServer, room: dict[str, Any], nickname: str) -> bool:
    """The player's new ready flag and the room's, to the room; returns the player's flag."""
    ready: bool = next(player["isReady"] for player in room["players"] if player["nickname"] == nickname)
    await sio.emit("readyStatus", {"nickname": nickname, "isReady": ready}, room=room["code"])
    await ready_state(sio, room)
    return ready


async def instrument_changed(sio: socketio.AsyncServer, code: str, nickname: str, instrument: str) -> None:
    """Under both names clients listen for: `instChanged` (this protocol's) and `instrumentStatus` (Motion Beat's)."""
    change = {"nickname": nickname, "instrument": instrument}
    await sio.emit("instChanged", change, room=code)
    await sio.emit("instrumentStatus", change, room=code)


async def song_changed(sio: socketio.AsyncServer, code: str, song: dict[str, Any]) -> None:
    await sio.emit("songChanged", song, room=code)


async def chat_message(sio: socketio.AsyncServer, message: dict[str, Any]) -> None:
    await sio.emit("message", message, room=message["chatroom"])


# A round


async def game_started(sio: socketio.AsyncServer, game: dict[str, Any]) -> None:
    log.info("room %s started a round of song %s", game["code"], game["song"])
    await sio.emit(f"gameStarted{game['code']}", game, room=game["code"])


def live_score(sio: socketio.AsyncServer, code: str, nickname: str, score: tuple[Any, ...], sender: str) -> None:
    """A player's hit, to the others in the room: four arguments (score, combo, instrument, motion).

    Straight to the compiled broadcast, which never waits: AsyncServer.emit and the client manager's `emit` would
    only pass it on (the first logging it at INFO, per hit), and their coroutines would cost more than the relay."""
    delivery.broadcast(sio.manager, f"liveScore{nickname}", score, "/", code, [sender])


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


# Users


async def watch(sio: socketio.AsyncServer, sids: list[str], nicknames: Iterable[str]) -> None:
    """These sockets hear the online status of these players (their friends)."""
    for sid in sids:
        for nickname in nicknames:
            await sio.enter_room(sid, WATCH_PREFIX + nickname)


async def unwatch(sio: socketio.AsyncServer, sids: list[str], nickname: str) -> None:
    for sid in sids:
        await sio.leave_room(sid, WATCH_PREFIX + nickname)


async def user_status(sio: socketio.AsyncServer, nickname: str, online: bool, rooms: Iterable[str] = ()) -> None:
    """A player came online or went offline: to the players who follow them, and to the rooms they sit in."""
    await sio.emit("userStatus", {"nickname": nickname, "online": online}, room=[WATCH_PREFIX + nickname, *rooms])
