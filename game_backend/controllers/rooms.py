"""Rooms: create, join by code, quick match, leave, ready, instrument, song, and the room's side of a round.

This module owns the `rooms` collection: nothing else writes it. Every change
is one atomic MongoDB update whose filter states the rules (rules.py: a free
seat, the caller is the host, the game is waiting), so concurrent requests
from any number of server processes cannot break a rule: of twenty
simultaneous joins to the last seat, the database lets exactly one through.
A player sits in at most one room: taking a seat leaves any other, and a
player's seat changes take turns (a lease on `seat:<nickname>`, whichever
processes the requests land on), so two racing joins end in one room.
Quick match opens a new room only when no waiting one has a free seat: the
room it opens is marked `openMatch` until it fills or starts, and a unique
index lets only one room carry the mark, so of many requests that find no
seat at once, one opens a room and the others take seats in it.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from ..errors import GameError, game_in_progress, not_in_room, room_not_found
from ..room_codes import CODE_ALPHABET, CODE_LENGTH
from ..storage.database import Database
from ..storage.documents import jsonable, now
from ..storage.leases import held
from ..storage.updates import update_and_read
from . import games, songs
from .rules import Rule, matching, refusal

MAX_PLAYERS = 4
CODE_ATTEMPTS = 20
MATCH_ATTEMPTS = 50
MATCH_RETRY = 0.02  # seconds
NEW_PLAYER_INSTRUMENT = "select"

ROOM_FIELDS = {"_id": 0, "code": 1, "type": 1, "hostName": 1, "players": 1, "song": 1, "gameState": 1, "createdAt": 1}
PLAYER_FIELDS = ("nickname", "instrument", "isReady")


# The rules of a room, each written once (see rules.py).


def exists(code: str) -> Rule:
    return Rule({}, lambda: room_not_found(code))


def seated(code: str, nickname: str) -> Rule:
    return Rule({"players.nickname": nickname}, lambda: not_in_room(code))


def waiting(code: str) -> Rule:
    return Rule({"gameState": "waiting"}, lambda: game_in_progress(code))


def hosted_by(nickname: str, action: str) -> Rule:
    return Rule({"hostName": nickname}, lambda: GameError("NOT_HOST", f"only the host {action}"))


def free_seat(code: str) -> Rule:
    # A room with a free seat has no player at index MAX_PLAYERS - 1. An empty room is about to be
    # deleted, so it takes nobody in.
    return Rule(
        {f"players.{MAX_PLAYERS - 1}": {"$exists": False}, "players.0": {"$exists": True}},
        lambda: GameError("ROOM_FULL", f"room {code} is full ({MAX_PLAYERS} players)"),
        lambda room: 0 < len(room["players"]) < MAX_PLAYERS,
    )


EVERYONE_READY = Rule(
    {"players.isReady": {"$ne": False}},
    lambda: GameError("NOT_ALL_READY", "every player must be ready before the game starts"),
    lambda room: all(player["isReady"] for player in room["players"]),
)


# The host is ready: a new room's host, a player who becomes host, and the host when a round ends.
HOST_READY = {
    "$mergeObjects": [
        "$$this",
        {"isReady": {"$or": [{"$eq": ["$$this.nickname", "$hostName"]}, {"$ifNull": ["$$this.isReady", False]}]}},
    ]
}


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


_codes = random.Random()  # seeded by ROOM_CODE_SEED for repeatable tests (see seed_room_codes)


def seed_room_codes(seed: int | None) -> None:
    """Draw room codes from a generator seeded with `seed` (None: from the system's randomness)."""
    _codes.seed(seed)


def new_code() -> str:
    return "".join(_codes.choices(CODE_ALPHABET, k=CODE_LENGTH))


def new_player(nickname: str, *, host: bool = False) -> dict[str, Any]:
    return {"nickname": nickname, "instrument": NEW_PLAYER_INSTRUMENT, "isReady": host}


def present(room: dict[str, Any]) -> dict[str, Any]:
    """The room as clients see it (a held seat's `leaveAt` stays on the server)."""
    shown = {key: room[key] for key in ROOM_FIELDS if key in room and key != "_id"}
    if "players" in shown:
        shown["players"] = [{key: player[key] for key in PLAYER_FIELDS} for player in shown["players"]]
    return jsonable(shown)


def _keeps(rule: Rule, room: dict[str, Any]) -> bool:
    assert rule.holds is not None, "the rule has no test for a document in hand"
    return rule.holds(room)


def all_ready(room: dict[str, Any]) -> bool:
    return _keeps(EVERYONE_READY, room)


async def _update(db: Database, code: str, rules: list[Rule], update: Any, **options: Any) -> dict[str, Any]:
    """Apply `update` to room `code` if it keeps every rule; the room afterwards, or the first broken rule's refusal."""
    room = await _changed(db, code, matching({"code": code}, rules), update, **options)
    if room is None:
        raise await refusal(db.rooms, {"code": code}, rules)
    return room


async def _changed(
    db: Database, code: str, condition: dict[str, Any], update: Any, **options: Any
) -> dict[str, Any] | None:
    """Room `code` after `update`, or None if `condition` (which names the room by its code) matched nothing."""
    return await update_and_read(db.rooms, {"code": code}, condition, update, ROOM_FIELDS, **options)


async def create_room(db: Database, nickname: str, room_type: str = "codeGame") -> Seat:
    """A new room with a fresh unique code, the caller as its ready host."""
    async with held(db, f"seat:{nickname}"):
        return await _create(db, nickname, room_type)


async def create_tutorial(db: Database, nickname: str) -> Seat:
    """A tutorial room: the player alone, on the tutorial song, with the instrument its chart is for."""
    async with held(db, f"seat:{nickname}"):
        return await _create(db, nickname, "tutorial", song=songs.TUTORIAL, instrument=songs.INSTRUMENTS[0])


async def _create(
    db: Database,
    nickname: str,
    room_type: str,
    *,
    song: int | None = None,
    instrument: str = NEW_PLAYER_INSTRUMENT,
    open_match: bool = False,
) -> Seat:
    """A new room; with `open_match`, DuplicateKeyError when another quick-match room is open already."""
    if song is None:
        song = await songs.random_song_number(db)
    for _ in range(CODE_ATTEMPTS):
        room: dict[str, Any] = {
            "code": new_code(),
            "type": room_type,
            "hostName": nickname,
            "players": [{**new_player(nickname, host=True), "instrument": instrument}],
            "song": song,
            "gameState": "waiting",
            "createdAt": now(),
        }
        if open_match:
            room["openMatch"] = True
        try:
            await db.rooms.insert_one(room)
        except DuplicateKeyError as error:
            if "openMatch" in (error.details or {}).get("keyPattern", {}):
                raise
            continue
        departures = await leave_all(db, nickname, keep=room["code"])
        return Seat(present(room), joined=True, departures=departures)
    raise GameError("INTERNAL", "no free room code was found; try again")


async def join_room(db: Database, code: str, nickname: str) -> Seat:
    """Take a seat in room `code`; a player already seated there keeps the seat."""
    rules = [exists(code), waiting(code), free_seat(code)]
    async with held(db, f"seat:{nickname}"):
        taken = await db.rooms.update_one(
            matching({"code": code, "players.nickname": {"$ne": nickname}}, rules),
            {"$push": {"players": new_player(nickname)}},
        )
        if taken.matched_count:
            # The room as it is now, and the rooms to leave for it, read at once (see storage/updates.py).
            room, departures = await asyncio.gather(require_room(db, code), leave_all(db, nickname, keep=code))
            return Seat(present(room), joined=True, departures=departures)
    already = await seat_in(db, code, nickname)
    if already is not None:
        return already
    raise await refusal(db.rooms, {"code": code}, rules)


async def keep_or_join(db: Database, code: str, nickname: str) -> Seat:
    """The seat the player has in room `code` already, else `join_room`. A socket's `joinRoom` after the REST
    join that seated the player (what Motion Beat's client sends) ends after one indexed read."""
    return await seat_in(db, code, nickname) or await join_room(db, code, nickname)


async def seat_in(db: Database, code: str, nickname: str) -> Seat | None:
    """The seat the player has in room `code`, if any."""
    room = await db.rooms.find_one({"code": code, "players.nickname": nickname}, ROOM_FIELDS)
    return None if room is None else Seat(present(room), joined=False, departures=[])


async def quick_match(db: Database, nickname: str) -> Seat:
    """Join the oldest waiting `match` room with a free seat, or open a new one when there is none."""
    async with held(db, f"seat:{nickname}"):
        current = await db.rooms.find_one(
            {"type": "match", "gameState": "waiting", "players.nickname": nickname}, ROOM_FIELDS
        )
        if current is not None:
            return Seat(present(current), joined=False, departures=[])
        for _ in range(MATCH_ATTEMPTS):
            seat = await _join_open_match(db, nickname)
            if seat is not None:
                return seat
            try:
                return await _create(db, nickname, "match", open_match=True)
            except DuplicateKeyError:
                await asyncio.sleep(MATCH_RETRY)  # another request has just opened a room: take a seat in it
        raise GameError("UNAVAILABLE", "quick match is busy; try again")


async def _join_open_match(db: Database, nickname: str) -> Seat | None:
    """A seat in the oldest waiting quick-match room with a free seat; None if there is none, or if another
    request took its last seat first (quick_match then tries again)."""
    condition = matching({"type": "match", "players.nickname": {"$ne": nickname}}, [waiting(""), free_seat("")])
    oldest = await db.rooms.find_one(condition, {"_id": 0, "code": 1}, sort=[("createdAt", 1)])
    if oldest is None:
        return None
    room = await _changed(
        db, oldest["code"], {**condition, "code": oldest["code"]}, {"$push": {"players": new_player(nickname)}}
    )
    if room is None:
        return None
    if not _keeps(free_seat(room["code"]), room):
        await _close_match(db, room["code"])
    return Seat(present(room), joined=True, departures=await leave_all(db, nickname, keep=room["code"]))


async def _close_match(db: Database, code: str) -> None:
    """The room is full or playing: quick match may open another."""
    await db.rooms.update_one({"code": code, "openMatch": {"$exists": True}}, {"$unset": {"openMatch": ""}})


async def leave_room(db: Database, code: str, nickname: str, *, away_since: datetime | None = None) -> Departure:
    """Give up the seat; when the host leaves, the first remaining player becomes a ready host.

    A player leaving mid-round leaves the round too, so the others can finish it.
    An empty room is deleted. Every way out of a room (leaveRoom, the REST
    route, a disconnect, taking a seat elsewhere, a held seat expiring, signing
    out) comes through here. With `away_since`, the seat is given up only if it
    is still held for a disconnected player whose grace ended by then.
    """
    seat = seated(code, nickname)
    if away_since is not None:
        seat = Rule({"players": {"$elemMatch": {"nickname": nickname, **grace_over(away_since)}}}, seat.refusal)
    pulled = await db.rooms.update_one(
        matching({"code": code, "hostName": {"$ne": nickname}}, [seat]), {"$pull": {"players": {"nickname": nickname}}}
    )
    as_host = pulled.matched_count == 0
    if (
        as_host
        and (
            await db.rooms.update_one(matching({"code": code, "hostName": nickname}, [seat]), _host_leaves(nickname))
        ).matched_count
        == 0
    ):
        raise await refusal(db.rooms, {"code": code}, [exists(code), seat])
    room = await db.rooms.find_one({"code": code}, ROOM_FIELDS)  # see storage/updates.py: no findAndModify
    if room is None:  # the others left at the same moment, and the last one deleted the empty room
        return Departure(code, nickname, None, None, await games.take_out(db, code, nickname))
    new_host = room["hostName"] if as_host else None
    round_change = await games.take_out(db, code, nickname) if room["gameState"] == "playing" else None
    if room["players"]:
        return Departure(code, nickname, present(room), new_host, round_change)
    await db.rooms.delete_one({"code": code, "players": {"$size": 0}})
    return Departure(code, nickname, None, None, round_change)


async def leave_all(db: Database, nickname: str, *, keep: str | None = None) -> list[Departure]:
    """Leave every room the player sits in (but `keep`)."""
    departures = []
    for code in await rooms_of(db, nickname):
        if code == keep:
            continue
        try:
            departures.append(await leave_room(db, code, nickname))
        except GameError:
            continue  # already gone: another request took the player out first
    return departures


def _host_leaves(nickname: str) -> list[dict[str, Any]]:
    """An update pipeline: drop the host, make the first remaining player the (ready) host."""
    first_player = {"$first": "$players"}
    return [
        {"$set": {"players": {"$filter": {"input": "$players", "cond": {"$ne": ["$$this.nickname", nickname]}}}}},
        # SecantusDB does not resolve "$players.nickname" through an array; $getField does.
        {"$set": {"hostName": {"$getField": {"field": "nickname", "input": first_player}}}},
        {"$set": {"players": {"$map": {"input": "$players", "in": HOST_READY}}}},
    ]


async def hold_seat(db: Database, code: str, nickname: str, until: datetime) -> bool:
    """Keep a disconnected player's seat until `until`; returns whether they had one."""
    result = await db.rooms.update_one(
        {"code": code, "players.nickname": nickname},
        {"$set": {"players.$[me].leaveAt": until}},
        array_filters=[{"me.nickname": nickname}],
    )
    return bool(result.matched_count == 1)


async def reclaim_seat(db: Database, nickname: str) -> dict[str, Any] | None:
    """A returning player is back in the seat they hold (held for their return or not); its room, or None.

    One indexed read: every connection asks this, and most have no seat or one that is not held. Only a held
    seat is then taken back, by an update that fails if the hold ran out and the seat was given up meanwhile.
    """
    room: dict[str, Any] | None = await db.rooms.find_one({"players.nickname": nickname}, ROOM_FIELDS)
    if room is None:
        return None
    if any(player["nickname"] == nickname and "leaveAt" in player for player in room["players"]):
        taken = await db.rooms.update_one(
            {"code": room["code"], "players.nickname": nickname},
            {"$unset": {"players.$[me].leaveAt": ""}},
            array_filters=[{"me.nickname": nickname}],
        )
        if taken.matched_count == 0:
            return None
    return present(room)


def grace_over(moment: datetime) -> dict[str, Any]:
    """The rule of a held seat's expiry, once: a `players` entry held for a player who is away (`leaveAt`, set by
    `hold_seat`, unset by `reclaim_seat`) whose grace ended by `moment`."""
    return {"leaveAt": {"$lte": moment}}


async def expired_seats(db: Database, moment: datetime) -> list[tuple[str, str]]:
    """(room code, nickname) of every held seat whose grace ended by `moment`."""
    expired = {f"players.{field}": condition for field, condition in grace_over(moment).items()}
    seats = await db.aggregate(
        db.rooms,
        [
            {"$match": {"players": {"$elemMatch": grace_over(moment)}}},
            {"$unwind": "$players"},
            {"$match": expired},
            {"$project": {"_id": 0, "code": 1, "nickname": "$players.nickname"}},
        ],
    )
    return [(seat["code"], seat["nickname"]) for seat in seats]


async def census(db: Database) -> tuple[dict[str, int], int]:
    """How many rooms there are in each state, and how many players are seated in all of them."""
    groups = await db.aggregate(
        db.rooms, [{"$group": {"_id": "$gameState", "rooms": {"$sum": 1}, "seated": {"$sum": {"$size": "$players"}}}}]
    )
    return ({str(group["_id"]): group["rooms"] for group in groups}, sum(group["seated"] for group in groups))


async def rooms_of(db: Database, nickname: str) -> list[str]:
    codes: list[str] = await db.rooms.distinct("code", {"players.nickname": nickname})
    return codes


async def room_of(db: Database, nickname: str) -> str:
    """The code of the room the player sits in, or NOT_IN_ROOM."""
    codes = await rooms_of(db, nickname)
    if not codes:
        raise GameError("NOT_IN_ROOM", "join a room first")
    return codes[0]


async def seated_in(db: Database, codes: list[str]) -> set[tuple[str, str]]:
    """(code, nickname) of every player seated in the rooms `codes`: one query for a batch of chat messages."""
    rooms = await db.rooms.find({"code": {"$in": codes}}, {"_id": 0, "code": 1, "players.nickname": 1}).to_list(None)
    return {(room["code"], player["nickname"]) for room in rooms for player in room.get("players", [])}


async def toggle_ready(db: Database, code: str, nickname: str) -> dict[str, Any]:
    """Flip the player's ready flag; returns the room afterwards."""
    flip_mine = {
        "$map": {
            "input": "$players",
            "in": {
                "$cond": [
                    {"$eq": ["$$this.nickname", nickname]},
                    {"$mergeObjects": ["$$this", {"isReady": {"$not": ["$$this.isReady"]}}]},
                    "$$this",
                ]
            },
        }
    }
    return present(await _update(db, code, _own_seat(code, nickname), [{"$set": {"players": flip_mine}}]))


async def change_instrument(db: Database, code: str, nickname: str, instrument: str) -> dict[str, Any]:
    instrument_set = {"$set": {"players.$[me].instrument": instrument}}
    return present(
        await _update(db, code, _own_seat(code, nickname), instrument_set, array_filters=[{"me.nickname": nickname}])
    )


def _own_seat(code: str, nickname: str) -> list[Rule]:
    """The rules of changing one's own seat: the room exists, the player sits in it, it is waiting."""
    return [exists(code), seated(code, nickname), waiting(code)]


async def change_song(db: Database, code: str, nickname: str, number: int) -> dict[str, Any]:
    """Host only: set the room's song. Returns the song document."""
    try:
        song = await songs.get_song(db, number)
    except GameError as error:
        raise GameError("INVALID_PAYLOAD", error.message) from None
    await _update(
        db, code, [*_own_seat(code, nickname), hosted_by(nickname, "changes the song")], {"$set": {"song": number}}
    )
    return song


async def start_playing(db: Database, code: str, nickname: str) -> dict[str, Any]:
    """Host only, everyone ready, the room waiting: the room is now playing. Returns its song and players."""
    rules = [
        exists(code),
        seated(code, nickname),
        waiting(code),
        hosted_by(nickname, "starts the game"),
        EVERYONE_READY,
    ]
    return await _update(db, code, rules, {"$set": {"gameState": "playing"}, "$unset": {"openMatch": ""}})


async def stop_playing(db: Database, code: str) -> None:
    """Undo `start_playing` when the round could not be created."""
    await db.rooms.update_one({"code": code, "gameState": "playing"}, {"$set": {"gameState": "waiting"}})


async def back_to_waiting(db: Database, code: str) -> dict[str, Any] | None:
    """The round is over: the room waits for the next one, and only the host stays ready."""
    room = await update_and_read(
        db.rooms,
        {"code": code},
        {"code": code, "gameState": "playing"},
        [
            {
                "$set": {
                    "gameState": "waiting",
                    "players": {"$map": {"input": "$players", "in": {"$mergeObjects": ["$$this", {"isReady": False}]}}},
                }
            },
            {"$set": {"players": {"$map": {"input": "$players", "in": HOST_READY}}}},
        ],
        {"_id": 0, "code": 1, "players": 1},
    )
    return jsonable(room) if room is not None else None


async def require_room(db: Database, code: str) -> dict[str, Any]:
    room: dict[str, Any] | None = await db.rooms.find_one({"code": code}, ROOM_FIELDS)
    if room is None:
        raise room_not_found(code)
    return room


async def get_room(db: Database, code: str) -> dict[str, Any]:
    return present(await require_room(db, code))


async def players(db: Database, code: str) -> list[dict[str, Any]]:
    seated: list[dict[str, Any]] = (await get_room(db, code))["players"]
    return seated


async def joinable_rooms(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """Waiting rooms with a free seat, oldest first, for the lobby."""
    rooms = (
        await db.rooms.find(
            {"type": {"$ne": "tutorial"}, "gameState": "waiting", **free_seat("").condition}, ROOM_FIELDS
        )
        .sort("createdAt", 1)
        .limit(limit)
        .to_list(length=None)
    )
    return [{**present(room), "playerCount": len(room["players"]), "maxPlayers": MAX_PLAYERS} for room in rooms]
