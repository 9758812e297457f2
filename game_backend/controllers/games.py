"""The game round: start, one synchronized start time, final scores and the result.

A round lives in one document of the `games` collection, so any server process
can handle any event of it:

    {code, song, players: [{nickname, instrument, score, loaded, ended}],
     gameState: "playing" | "finished" | "abandoned", startedAt, leadMs,
     startTime (epoch ms, once everyone has loaded), finishedAt}

A player's own step (loaded, ended, left) is one atomic update. Whether that
step completes the round's next stage is then *claimed* with a second update
whose filter states the stage is still open (`startTime` unset, `gameState`
still playing): of any number of last players acting at once, on any number of
processes, exactly one claim matches, and only its caller announces the stage.
"""

from __future__ import annotations

import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import PyMongoError

from ..db import Database
from ..documents import jsonable, now
from ..errors import GameError

AFTER = ReturnDocument.AFTER
RECENT_SONGS = 5
PLAYER_FIELDS = ("nickname", "instrument", "score")


@dataclass(frozen=True)
class RoundChange:
    """What one player's step decided for the whole round. Each stage is decided once per round."""

    code: str
    start_time: int | None = None  # everyone has loaded: the shared start, epoch milliseconds
    result: dict[str, Any] | None = None  # everyone has ended: the saved ranking entry
    room: dict[str, Any] | None = None  # {code, players} of the room, back to waiting


def present(game: dict[str, Any]) -> dict[str, Any]:
    """The game as clients see it: no loaded/ended bookkeeping."""
    return jsonable({
        "code": game["code"],
        "song": game["song"],
        "players": [{key: player[key] for key in PLAYER_FIELDS} for player in game["players"]],
        "gameState": game["gameState"],
        "startedAt": game["startedAt"],
    })


async def start_game(db: Database, code: str, nickname: str, lead_seconds: float) -> dict[str, Any]:
    """Host only, every player ready, room waiting: the room starts playing; returns the new game.

    `lead_seconds` is kept in the game: it sets how far ahead the shared start time lies.
    """
    room = await db.rooms.find_one_and_update(
        {"code": code, "gameState": "waiting", "hostName": nickname, "players.isReady": {"$ne": False}},
        {"$set": {"gameState": "playing"}},
        projection={"_id": 0, "song": 1, "players": 1},
        return_document=AFTER,
    )
    if room is None:
        await _explain_refused_start(db, code, nickname)
    # The room was waiting, so no round of it is in progress: close any game a crash left open.
    await db.games.update_many({"code": code, "gameState": "playing"}, {"$set": {"gameState": "abandoned"}})
    game = {
        "code": code,
        "song": room["song"],
        "players": [
            {"nickname": p["nickname"], "instrument": p["instrument"], "score": 0, "loaded": False, "ended": False}
            for p in room["players"]
        ],
        "gameState": "playing",
        "startedAt": now(),
        "leadMs": round(lead_seconds * 1000),
    }
    try:
        await db.games.insert_one(game)
    except PyMongoError:
        with suppress(PyMongoError):
            await db.rooms.update_one({"code": code, "gameState": "playing"}, {"$set": {"gameState": "waiting"}})
        raise
    return present(await _without_departed(db, game))


async def player_loaded(db: Database, code: str, nickname: str) -> RoundChange:
    """Mark the player loaded; the last one to load fixes the start time. Loading twice changes nothing."""
    return await _step(db, code, nickname, "loaded", {"loaded": True})


async def game_ended(db: Database, code: str, nickname: str, score: int) -> RoundChange:
    """Record the player's final score; the last one to end closes the round.

    The first score counts: ending again changes nothing. A player who ends counts as loaded.
    """
    return await _step(db, code, nickname, "ended", {"score": score, "ended": True, "loaded": True})


async def _step(db: Database, code: str, nickname: str, flag: str, changes: dict[str, Any]) -> RoundChange:
    """Apply `changes` to the player's entry if `flag` is not set yet, then see what that completes."""
    game = await db.games.find_one_and_update(
        {"code": code, "gameState": "playing", "players": {"$elemMatch": {"nickname": nickname, flag: False}}},
        {"$set": {f"players.$[me].{field}": value for field, value in changes.items()}},
        array_filters=[{"me.nickname": nickname}],
        return_document=AFTER,
    )
    if game is None:
        await _require_player(db, code, nickname)
        return RoundChange(code)
    return await _advance(db, game)


async def take_out(db: Database, code: str, nickname: str) -> RoundChange:
    """The player left room `code`: they leave its round too, so the others can start and end without them."""
    game = await db.games.find_one_and_update(
        {"code": code, "gameState": "playing", "players.nickname": nickname},
        {"$pull": {"players": {"nickname": nickname}}},
        return_document=AFTER,
    )
    if game is None:
        return RoundChange(code)
    return await _advance(db, game)


async def _advance(db: Database, game: dict[str, Any]) -> RoundChange:
    """`game` was just changed by one player's step: claim the stage it shows complete, if any."""
    players = game["players"]
    if not players:
        await db.games.update_one(
            {"_id": game["_id"], "gameState": "playing", "players": {"$size": 0}},
            {"$set": {"gameState": "abandoned", "finishedAt": now()}},
        )
        return RoundChange(game["code"])
    if all(player["ended"] for player in players):
        return await _claim_finish(db, game)
    if "startTime" not in game and all(player["loaded"] for player in players):
        return RoundChange(game["code"], start_time=await _claim_start(db, game))
    return RoundChange(game["code"])


async def _claim_start(db: Database, game: dict[str, Any]) -> int | None:
    """Set the shared start time unless another step already did; returns it only to the winner."""
    start_time = round(time.time() * 1000) + game["leadMs"]
    claimed = await db.games.update_one(
        {
            "_id": game["_id"],
            "gameState": "playing",
            "startTime": {"$exists": False},
            "players.0": {"$exists": True},
            "players.loaded": {"$ne": False},
        },
        {"$set": {"startTime": start_time}},
    )
    return start_time if claimed.modified_count == 1 else None


async def _claim_finish(db: Database, game: dict[str, Any]) -> RoundChange:
    """Close the round unless another step already did; only the winner saves and announces the result."""
    finished = await db.games.find_one_and_update(
        {"_id": game["_id"], "gameState": "playing", "players.0": {"$exists": True}, "players.ended": {"$ne": False}},
        {"$set": {"gameState": "finished", "finishedAt": now()}},
        return_document=AFTER,
    )
    if finished is None:
        return RoundChange(game["code"])
    result = await _save_result(db, finished)
    await _remember_song(db, finished, result)
    room = await _back_to_waiting(db, finished["code"])
    return RoundChange(finished["code"], result=result, room=room)


async def _save_result(db: Database, game: dict[str, Any]) -> dict[str, Any]:
    """The ranking entry of a finished game; saving it twice (a retried finish) keeps one."""
    song = await db.songs.find_one({"number": game["song"]}, {"_id": 0, "title": 1})
    players = [{key: player[key] for key in PLAYER_FIELDS} for player in game["players"]]
    result = {
        "number": game["song"],
        "title": song["title"] if song else None,
        "players": players,
        "totalScore": sum(player["score"] for player in players),
        "finishedAt": game["finishedAt"],
    }
    await db.rankings.update_one(
        {"gameId": game["_id"]},
        {"$setOnInsert": {**result, "gameId": game["_id"], "code": game["code"]}},
        upsert=True,
    )
    return jsonable(result)


async def _remember_song(db: Database, game: dict[str, Any], result: dict[str, Any]) -> None:
    """Each player's last RECENT_SONGS played songs, newest first, on their user document."""
    updates = [
        UpdateOne(
            {"nickname": player["nickname"]},
            {"$push": {"recentSongs": {
                "$each": [{
                    "number": result["number"],
                    "title": result["title"],
                    "score": player["score"],
                    "playedAt": game["finishedAt"],
                }],
                "$position": 0,
                "$slice": RECENT_SONGS,
            }}},
        )
        for player in game["players"]
    ]
    await db.users.bulk_write(updates, ordered=False)


async def _back_to_waiting(db: Database, code: str) -> dict[str, Any] | None:
    """The room waits for its next round: only the host (whoever it is now) stays ready."""
    room = await db.rooms.find_one_and_update(
        {"code": code, "gameState": "playing"},
        [{"$set": {
            "gameState": "waiting",
            "players": {"$map": {"input": "$players", "in": {
                "$mergeObjects": ["$$this", {"isReady": {"$eq": ["$$this.nickname", "$hostName"]}}],
            }}},
        }}],
        projection={"_id": 0, "code": 1, "players": 1},
        return_document=AFTER,
    )
    return jsonable(room) if room is not None else None


async def _without_departed(db: Database, game: dict[str, Any]) -> dict[str, Any]:
    """Take out players who left while the game was being created (leaving found no game to leave then)."""
    room = await db.rooms.find_one({"code": game["code"]}, {"_id": 0, "players": 1})
    seated = {player["nickname"] for player in room["players"]} if room is not None else set()
    departed = [player["nickname"] for player in game["players"] if player["nickname"] not in seated]
    if not departed:
        return game
    for nickname in departed:
        await take_out(db, game["code"], nickname)
    return await db.games.find_one({"_id": game["_id"]}) or game


async def _require_player(db: Database, code: str, nickname: str) -> None:
    """After a player's step matched nothing: raise why, or return if the player had already taken it."""
    game = await db.games.find_one({"code": code, "gameState": "playing"}, {"_id": 0, "players": 1})
    if game is None:
        if await db.rooms.find_one({"code": code}, {"_id": 1}) is None:
            raise GameError("ROOM_NOT_FOUND", f"there is no room {code}")
        raise GameError("NOT_PLAYING", f"room {code} is not playing a round")
    if not any(player["nickname"] == nickname for player in game["players"]):
        raise GameError("NOT_IN_ROOM", f"you are not playing in room {code}")


async def _explain_refused_start(db: Database, code: str, nickname: str) -> None:
    room = await db.rooms.find_one({"code": code}, {"_id": 0, "hostName": 1, "players": 1, "gameState": 1})
    if room is None:
        raise GameError("ROOM_NOT_FOUND", f"there is no room {code}")
    if not any(player["nickname"] == nickname for player in room["players"]):
        raise GameError("NOT_IN_ROOM", f"you are not in room {code}")
    if room["gameState"] != "waiting":
        raise GameError("GAME_IN_PROGRESS", f"room {code} is already playing")
    if room["hostName"] != nickname:
        raise GameError("NOT_HOST", "only the host starts the game")
    raise GameError("NOT_ALL_READY", "every player must be ready before the game starts")
