"""Rooms: create, join by code, quick match, leave, ready, instrument and song.

Every change is one atomic MongoDB update whose filter states the rule
(a free seat, the caller is the host, the game is waiting), so concurrent
requests from any number of server processes cannot break a rule: of twenty
simultaneous joins to the last seat, the database lets exactly one through.
A player sits in at most one room: taking a seat leaves any other.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..db import Database
from ..documents import jsonable, now
from ..errors import GameError
from . import games, songs

MAX_PLAYERS = 4
CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 6
CODE_ATTEMPTS = 20
NEW_PLAYER_INSTRUMENT = "select"

ROOM_FIELDS = {"_id": 0, "code": 1, "type": 1, "hostName": 1, "players": 1, "song": 1, "gameState": 1, "createdAt": 1}
AFTER = ReturnDocument.AFTER

# A room with a free seat has no player at index MAX_PLAYERS - 1. An empty room is
# about to be deleted, so it takes nobody in.
HAS_FREE_SEAT = {f"players.{MAX_PLAYERS - 1}": {"$exists": False}, "players.0": {"$exists": True}}


@dataclass(frozen=True)
class Departure:
    """What leaving a room changed: the room afterwards (None once deleted), a new host, and the round, if any."""

    code: str
    nickname: str
    room: dict[str, Any] | None
    new_host: str | None
    round: games.RoundChange | None = None


@dataclass(frozen=True)
class Seat:
    """The room a player now sits in, whether this call seated them, and the rooms they left for it."""

    room: dict[str, Any]
    joined: bool
    departures: list[Departure]


def new_code() -> str:
    return "".join(random.choices(CODE_ALPHABET, k=CODE_LENGTH))


def new_player(nickname: str, *, host: bool = False) -> dict[str, Any]:
    return {"nickname": nickname, "instrument": NEW_PLAYER_INSTRUMENT, "isReady": host}


PLAYER_FIELDS = ("nickname", "instrument", "isReady")


def present(room: dict[str, Any]) -> dict[str, Any]:
    """The room as clients see it (a held seat's `leaveAt` stays on the server)."""
    shown = {key: room[key] for key in ROOM_FIELDS if key in room and key != "_id"}
    if "players" in shown:
        shown["players"] = [{key: player[key] for key in PLAYER_FIELDS} for player in shown["players"]]
    return jsonable(shown)


def all_ready(room: dict[str, Any]) -> bool:
    return all(player["isReady"] for player in room["players"])


async def create_room(db: Database, nickname: str, room_type: str = "codeGame") -> Seat:
    """A new room with a fresh unique code, the caller as its ready host."""
    song = await songs.random_song_number(db)
    for _ in range(CODE_ATTEMPTS):
        room = {
            "code": new_code(),
            "type": room_type,
            "hostName": nickname,
            "players": [new_player(nickname, host=True)],
            "song": song,
            "gameState": "waiting",
            "createdAt": now(),
        }
        try:
            await db.rooms.insert_one(room)
        except DuplicateKeyError:
            continue
        departures = await _leave_other_rooms(db, nickname, keep=room["code"])
        return Seat(present(room), joined=True, departures=departures)
    raise GameError("INTERNAL", "no free room code was found; try again")


async def join_room(db: Database, code: str, nickname: str) -> Seat:
    """Take a seat in room `code`; a player already seated there keeps the seat."""
    room = await db.rooms.find_one_and_update(
        {"code": code, "gameState": "waiting", "players.nickname": {"$ne": nickname}, **HAS_FREE_SEAT},
        {"$push": {"players": new_player(nickname)}},
        projection=ROOM_FIELDS,
        return_document=AFTER,
    )
    if room is not None:
        departures = await _leave_other_rooms(db, nickname, keep=code)
        return Seat(present(room), joined=True, departures=departures)
    room = await db.rooms.find_one({"code": code}, ROOM_FIELDS)
    if room is None:
        raise GameError("ROOM_NOT_FOUND", f"there is no room {code}")
    if any(player["nickname"] == nickname for player in room["players"]):
        return Seat(present(room), joined=False, departures=[])
    if room["gameState"] != "waiting":
        raise GameError("GAME_IN_PROGRESS", f"room {code} is playing; wait for the round to end")
    raise GameError("ROOM_FULL", f"room {code} is full ({MAX_PLAYERS} players)")


async def quick_match(db: Database, nickname: str) -> Seat:
    """Join the oldest waiting `match` room with a free seat, or open a new one."""
    current = await db.rooms.find_one(
        {"type": "match", "gameState": "waiting", "players.nickname": nickname}, ROOM_FIELDS
    )
    if current is not None:
        return Seat(present(current), joined=False, departures=[])
    room = await db.rooms.find_one_and_update(
        {"type": "match", "gameState": "waiting", "players.nickname": {"$ne": nickname}, **HAS_FREE_SEAT},
        {"$push": {"players": new_player(nickname)}},
        projection=ROOM_FIELDS,
        sort=[("createdAt", 1)],
        return_document=AFTER,
    )
    if room is None:
        return await create_room(db, nickname, "match")
    departures = await _leave_other_rooms(db, nickname, keep=room["code"])
    return Seat(present(room), joined=True, departures=departures)


async def leave_room(db: Database, code: str, nickname: str, *, away_since: datetime | None = None) -> Departure:
    """Give up the seat; when the host leaves, the first remaining player becomes a ready host.

    A player leaving mid-round leaves the round too, so the others can finish it.
    An empty room is deleted. Every way out of a room (leaveRoom, the REST
    route, a disconnect, taking a seat elsewhere, a held seat expiring) comes
    through here. With `away_since`, the seat is given up only if it is still
    held for a disconnected player whose grace ended by then.
    """
    seated: dict[str, Any] = {"players.nickname": nickname}
    if away_since is not None:
        seated = {"players": {"$elemMatch": {"nickname": nickname, "leaveAt": {"$lte": away_since}}}}
    room = await db.rooms.find_one_and_update(
        {"code": code, **seated, "hostName": {"$ne": nickname}},
        {"$pull": {"players": {"nickname": nickname}}},
        projection=ROOM_FIELDS,
        return_document=AFTER,
    )
    new_host = None
    if room is None:
        room = await db.rooms.find_one_and_update(
            {"code": code, **seated, "hostName": nickname},
            _host_leaves(nickname),
            projection=ROOM_FIELDS,
            return_document=AFTER,
        )
        if room is None:
            await _require_room(db, code)
            raise GameError("NOT_IN_ROOM", f"you are not in room {code}")
        new_host = room["hostName"]
    round_change = await games.take_out(db, code, nickname) if room["gameState"] == "playing" else None
    if room["players"]:
        return Departure(code, nickname, present(room), new_host, round_change)
    await db.rooms.delete_one({"code": code, "players": {"$size": 0}})
    return Departure(code, nickname, None, None, round_change)


async def hold_seat(db: Database, code: str, nickname: str, until: datetime) -> bool:
    """Keep a disconnected player's seat until `until`; returns whether they had one."""
    result = await db.rooms.update_one(
        {"code": code, "players.nickname": nickname},
        {"$set": {"players.$[me].leaveAt": until}},
        array_filters=[{"me.nickname": nickname}],
    )
    return result.matched_count == 1


async def reclaim_seat(db: Database, nickname: str) -> dict[str, Any] | None:
    """A returning player takes back a held seat; returns its room, or None if none was held."""
    room = await db.rooms.find_one_and_update(
        {"players": {"$elemMatch": {"nickname": nickname, "leaveAt": {"$exists": True}}}},
        {"$unset": {"players.$[me].leaveAt": ""}},
        array_filters=[{"me.nickname": nickname}],
        projection=ROOM_FIELDS,
        return_document=AFTER,
    )
    return None if room is None else present(room)


async def expired_seats(db: Database, moment: datetime) -> list[tuple[str, str]]:
    """(room code, nickname) of every held seat whose grace ended by `moment`."""
    rooms = await db.rooms.find({"players.leaveAt": {"$lte": moment}}, {"code": 1, "players": 1}).to_list(length=None)
    return [
        (room["code"], player["nickname"])
        for room in rooms
        for player in room["players"]
        if "leaveAt" in player and player["leaveAt"] <= moment
    ]


def _host_leaves(nickname: str) -> list[dict[str, Any]]:
    """An update pipeline: drop the host, make the first remaining player a ready host."""
    first_player = {"$first": "$players"}
    return [
        {"$set": {"players": {"$filter": {"input": "$players", "cond": {"$ne": ["$$this.nickname", nickname]}}}}},
        # SecantusDB does not resolve "$players.nickname" through an array; $getField does.
        {"$set": {"hostName": {"$getField": {"field": "nickname", "input": first_player}}}},
        {"$set": {"players": {"$map": {"input": "$players", "in": {"$cond": [
            {"$eq": ["$$this.nickname", "$hostName"]},
            {"$mergeObjects": ["$$this", {"isReady": True}]},
            "$$this",
        ]}}}}},
    ]


async def _leave_other_rooms(db: Database, nickname: str, keep: str) -> list[Departure]:
    codes = await db.rooms.distinct("code", {"players.nickname": nickname, "code": {"$ne": keep}})
    departures = []
    for code in codes:
        try:
            departures.append(await leave_room(db, code, nickname))
        except GameError:
            continue  # already gone: another request took the player out first
    return departures


async def rooms_of(db: Database, nickname: str) -> list[str]:
    return await db.rooms.distinct("code", {"players.nickname": nickname})


async def toggle_ready(db: Database, code: str, nickname: str) -> dict[str, Any]:
    """Flip the player's ready flag; returns the room afterwards."""
    flip_mine = {"$map": {"input": "$players", "in": {"$cond": [
        {"$eq": ["$$this.nickname", nickname]},
        {"$mergeObjects": ["$$this", {"isReady": {"$not": ["$$this.isReady"]}}]},
        "$$this",
    ]}}}
    return await _update_own_seat(db, code, nickname, [{"$set": {"players": flip_mine}}])


async def change_instrument(db: Database, code: str, nickname: str, instrument: str) -> dict[str, Any]:
    return await _update_own_seat(
        db, code, nickname, {"$set": {"players.$[me].instrument": instrument}}, array_filters=[{"me.nickname": nickname}]
    )


async def _update_own_seat(db: Database, code: str, nickname: str, update: Any, **options: Any) -> dict[str, Any]:
    """Apply `update` to room `code` if the player sits there and it is waiting; the room afterwards."""
    room = await db.rooms.find_one_and_update(
        {"code": code, "gameState": "waiting", "players.nickname": nickname},
        update,
        projection=ROOM_FIELDS,
        return_document=AFTER,
        **options,
    )
    if room is None:
        await _explain_missed_update(db, code, nickname)
        raise GameError("INTERNAL", f"room {code} changed meanwhile; try again")
    return present(room)


async def change_song(db: Database, code: str, nickname: str, number: int) -> dict[str, Any]:
    """Host only: set the room's song. Returns the song document."""
    try:
        song = await songs.get_song(db, number)
    except GameError as error:
        raise GameError("INVALID_PAYLOAD", error.message) from None
    result = await db.rooms.update_one(
        {"code": code, "gameState": "waiting", "hostName": nickname}, {"$set": {"song": number}}
    )
    if result.matched_count == 0:
        room = await _explain_missed_update(db, code, nickname)
        if room["hostName"] != nickname:
            raise GameError("NOT_HOST", "only the host changes the song")
    return song


async def get_room(db: Database, code: str) -> dict[str, Any]:
    return present(await _require_room(db, code))


async def players(db: Database, code: str) -> list[dict[str, Any]]:
    return (await get_room(db, code))["players"]


async def joinable_rooms(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """Waiting rooms with a free seat, oldest first, for the lobby."""
    rooms = await db.rooms.find(
        {"type": {"$ne": "tutorial"}, "gameState": "waiting", **HAS_FREE_SEAT}, ROOM_FIELDS
    ).sort("createdAt", 1).limit(limit).to_list(length=None)
    return [
        {**present(room), "playerCount": len(room["players"]), "maxPlayers": MAX_PLAYERS}
        for room in rooms
    ]


async def _require_room(db: Database, code: str) -> dict[str, Any]:
    room = await db.rooms.find_one({"code": code}, ROOM_FIELDS)
    if room is None:
        raise GameError("ROOM_NOT_FOUND", f"there is no room {code}")
    return room


async def _explain_missed_update(db: Database, code: str, nickname: str) -> dict[str, Any]:
    """After an update matched nothing: raise the reason, or return the room if none applies."""
    room = await _require_room(db, code)
    if not any(player["nickname"] == nickname for player in room["players"]):
        raise GameError("NOT_IN_ROOM", f"you are not in room {code}")
    if room["gameState"] != "waiting":
        raise GameError("GAME_IN_PROGRESS", f"room {code} is playing; wait for the round to end")
    return room
