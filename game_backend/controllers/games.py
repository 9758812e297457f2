"""The game round: start, one synchronized start time, final scores and the result.

A round lives in one document of the `games` collection (this module owns it),
so any server process can handle any event of it:

    {code, song, players: [{nickname, instrument, score, judged, presses, batches, loaded, ended}],
     gameState: "playing" | "finished" | "abandoned", startedAt, leadMs,
     startTime (epoch ms, once everyone has loaded), finishedAt}

A player's `presses` are kept packed (judging/presses.py), appended a batch at
a time (`batches` holds the ids of those saved, so that a batch retried after
a timeout, which the database may have applied anyway, is saved once), so that a finished
round can be replayed; `judged` says the score is the server's judgement of
them rather than the score the player's client reported.

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

from bson import ObjectId
from bson.errors import InvalidId
from pymongo.errors import PyMongoError

from ..errors import GameError, not_playing
from ..judging import judge, presses
from ..storage.database import Database
from ..storage.documents import jsonable, now
from ..storage.updates import update_and_read
from . import rankings, rooms, songs, users
from .rules import Rule, broken_rule

NEWEST = [("startedAt", -1)]  # a room's rounds, the one under way (or just finished) first


def round_playing(code: str) -> Rule:
    return Rule({"gameState": "playing"}, lambda: not_playing(code))


def in_round(code: str, nickname: str) -> Rule:
    return Rule({"players.nickname": nickname}, lambda: GameError("NOT_IN_ROOM", f"you are not playing in room {code}"))


@dataclass(frozen=True)
class RoundChange:
    """What one player's step decided for the whole round. Each stage is decided once per round."""

    code: str
    start_time: int | None = None  # everyone has loaded: the shared start, epoch milliseconds
    result: dict[str, Any] | None = None  # everyone has ended: the saved ranking entry
    room: dict[str, Any] | None = None  # {code, players} of the room, back to waiting


@dataclass(frozen=True)
class PlayerRound:
    """What playing a round needs to know of it, read once when the player loads (or ends) it."""

    game_id: ObjectId
    code: str
    instrument: str
    part: judge.Part
    start_time: int | None  # epoch ms, once everyone has loaded
    presses: list[int]  # the player's presses saved so far, packed

    def replayed(self) -> judge.Judge:
        """The judgement of the presses saved so far, in the order they were saved (as the replay route gives)."""
        return judge.Judge(self.part).replay(presses.unpack(packed) for packed in self.presses)


def shown(player: dict[str, Any]) -> dict[str, Any]:
    """A player of a round as clients see it (rounds saved before judging have no `judged`: reported)."""
    return {
        "nickname": player["nickname"],
        "instrument": player["instrument"],
        "score": player["score"],
        "judged": player.get("judged", False),
    }


def present(game: dict[str, Any]) -> dict[str, Any]:
    """The game as clients see it: no loaded/ended bookkeeping, no presses."""
    return jsonable(
        {
            "id": str(game["_id"]),
            "code": game["code"],
            "song": game["song"],
            "players": [shown(player) for player in game["players"]],
            "gameState": game["gameState"],
            "startedAt": game["startedAt"],
        }
    )


@dataclass(frozen=True)
class Started:
    game: dict[str, Any]  # as clients see it
    tutorial: bool  # the room is a tutorial room


async def start_game(db: Database, code: str, nickname: str, lead_seconds: float) -> Started:
    """Host only, every player ready, room waiting: the room starts playing; returns the new game.

    `lead_seconds` is kept in the game: it sets how far ahead the shared start time lies.
    """
    room = await rooms.start_playing(db, code, nickname)
    # The room was waiting, so no round of it is in progress: close any game a crash left open.
    await db.games.update_many({"code": code, "gameState": "playing"}, {"$set": {"gameState": "abandoned"}})
    game = {
        "code": code,
        "song": room["song"],
        "players": [
            {
                "nickname": p["nickname"],
                "instrument": p["instrument"],
                "score": 0,
                "judged": False,
                "presses": [],
                "loaded": False,
                "ended": False,
            }
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
            await rooms.stop_playing(db, code)
        raise
    return Started(present(await _without_departed(db, game)), room["type"] == "tutorial")


async def player_loaded(db: Database, code: str, nickname: str) -> RoundChange:
    """Mark the player loaded; the last one to load fixes the start time. Loading twice changes nothing."""
    return await _step(db, code, nickname, "loaded", {"loaded": True})


async def game_ended(db: Database, code: str, nickname: str, score: int, *, judged: bool = False) -> RoundChange:
    """Record the player's final score (the server's judgement, or the client's report); the last one to end
    closes the round.

    The first score counts: ending again changes nothing. A player who ends counts as loaded.
    """
    return await _step(db, code, nickname, "ended", {"score": score, "judged": judged, "ended": True, "loaded": True})


async def player_round(db: Database, code: str, nickname: str) -> PlayerRound | None:
    """The round under way in room `code` with the player in it, or None."""
    game = await db.games.find_one(
        {"code": code, "gameState": "playing", "players.nickname": nickname},
        {"song": 1, "startTime": 1, "players": 1},
        sort=NEWEST,
    )
    if game is None:
        return None
    me = next(player for player in game["players"] if player["nickname"] == nickname)
    return PlayerRound(
        game["_id"],
        code,
        me["instrument"],
        songs.part(game["song"], me["instrument"]),
        game.get("startTime"),
        me.get("presses", []),
    )


async def judged_score(db: Database, code: str, nickname: str) -> int | None:
    """The player's score, judged from every press the round holds for them (from all their connections, in the
    order they were saved: as the replay route gives them), or None if they are in no round under way."""
    entry = await player_round(db, code, nickname)
    if entry is None:
        return None
    return entry.replayed().score


async def start_time(db: Database, game_id: ObjectId) -> int | None:
    """The round's shared start time (epoch ms), once everyone has loaded."""
    game = await db.games.find_one({"_id": game_id}, {"startTime": 1})
    return None if game is None else game.get("startTime")


async def save_presses(db: Database, game_id: ObjectId, nickname: str, batch_id: str, packed: list[int]) -> None:
    """Append a batch of the player's newest presses to the round, while it is under way and they have not ended
    it; a batch already saved (a retry after a timeout the database outlived) is not saved again."""
    me = {"nickname": nickname, "ended": False, "batches": {"$ne": batch_id}}
    await db.games.update_one(
        {"_id": game_id, "gameState": "playing", "players": {"$elemMatch": me}},
        {"$push": {"players.$[me].presses": {"$each": packed}, "players.$[me].batches": batch_id}},
        array_filters=[{"me.nickname": nickname}],
    )


async def replay(db: Database, game_id: str) -> dict[str, Any]:
    """A finished round's presses beside each player's notes, so that anyone can judge it again."""
    try:
        game = await db.games.find_one({"_id": ObjectId(game_id), "gameState": "finished"})
    except InvalidId:
        game = None
    if game is None:
        raise GameError("NOT_FOUND", f"there is no finished round {game_id[:40]!r}")
    players = []
    for player in game["players"]:
        part = songs.part(game["song"], player["instrument"])
        pressed = [presses.unpack(packed) for packed in player.get("presses", [])]
        players.append(
            {
                **shown(player),
                "notes": part.notes(),
                "presses": [{"at": at} if motion is None else {"at": at, "motion": motion} for at, motion in pressed],
            }
        )
    return jsonable(
        {
            "id": game_id,
            "code": game["code"],
            "song": game["song"],
            "startTime": game.get("startTime"),
            "finishedAt": game["finishedAt"],
            "judge": judge.TABLE,
            "players": players,
        }
    )


async def _step(db: Database, code: str, nickname: str, flag: str, changes: dict[str, Any]) -> RoundChange:
    """Apply `changes` to the player's entry if `flag` is not set yet, then see what that completes."""
    game = await update_and_read(
        db.games,
        {"code": code},
        {"code": code, "gameState": "playing", "players": {"$elemMatch": {"nickname": nickname, flag: False}}},
        {"$set": {f"players.$[me].{field}": value for field, value in changes.items()}},
        sort=NEWEST,
        array_filters=[{"me.nickname": nickname}],
    )
    if game is not None:
        return await _advance(db, game)
    await rooms.require_room(db, code)
    error = await broken_rule(db.games, {"code": code}, [round_playing(code), in_round(code, nickname)])
    if error is not None:
        raise error
    return RoundChange(code)  # the player had already taken this step


async def leave_round(db: Database, code: str, nickname: str) -> RoundChange:
    """The player leaves room `code`'s round, if they are in one (Motion Beat's `PATCH /api/games/leave`)."""
    return await take_out(db, code, nickname)


async def finished(db: Database, code: str, nickname: str) -> dict[str, Any]:
    """The last round the player finished in room `code`, with every player's score (for the results screen)."""
    game = await db.games.find_one(
        {"code": code, "gameState": "finished", "players.nickname": nickname}, sort=[("finishedAt", -1)]
    )
    if game is None:
        raise GameError("NOT_FOUND", f"you have no finished round in room {code}")
    return present(game)


async def take_out(db: Database, code: str, nickname: str) -> RoundChange:
    """The player left room `code`: they leave its round too, so the others can start and end without them."""
    game = await update_and_read(
        db.games,
        {"code": code},
        {"code": code, "gameState": "playing", "players.nickname": nickname},
        {"$pull": {"players": {"nickname": nickname}}},
        sort=NEWEST,
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
    finished = await update_and_read(
        db.games,
        {"_id": game["_id"]},
        {"_id": game["_id"], "gameState": "playing", "players.0": {"$exists": True}, "players.ended": {"$ne": False}},
        {"$set": {"gameState": "finished", "finishedAt": now()}},
    )
    if finished is None:
        return RoundChange(game["code"])
    players = [shown(player) for player in finished["players"]]
    result = await rankings.save_result(
        db, finished["_id"], finished["code"], finished["song"], players, finished["finishedAt"]
    )
    await users.remember_song(db, players, result["number"], result["title"], finished["finishedAt"])
    room = await rooms.back_to_waiting(db, finished["code"])
    return RoundChange(finished["code"], result=result, room=room)


async def _without_departed(db: Database, game: dict[str, Any]) -> dict[str, Any]:
    """Take out players who left while the game was being created (leaving found no game to leave then)."""
    seated = {nickname for code, nickname in await rooms.seated_in(db, [game["code"]])}
    departed = [player["nickname"] for player in game["players"] if player["nickname"] not in seated]
    if not departed:
        return game
    for nickname in departed:
        await take_out(db, game["code"], nickname)
    return await db.games.find_one({"_id": game["_id"]}) or game
