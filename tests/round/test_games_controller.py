"""The rules of a round, against a real database, through both drivers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from game_backend.controllers import games, rankings, rooms, users
from game_backend.errors import GameError
from game_backend.storage.database import Database

LEAD = 0.2


async def ready_room(db: Database, *nicknames: str) -> str:
    """A waiting room of `nicknames` (the first is host), everyone ready, every user existing."""
    for nickname in nicknames:
        await users.create_guest(db, nickname)
    code = (await rooms.create_room(db, nicknames[0])).room["code"]
    for nickname in nicknames[1:]:
        await rooms.join_room(db, code, nickname)
        await rooms.toggle_ready(db, code, nickname)
    return code


async def everything(db: Database) -> dict[str, list[dict[str, Any]]]:
    return {
        name: await db.db[name].find({}, {"_id": 0}).sort("code", 1).to_list(None)
        for name in ("rooms", "games", "rankings", "users")
    }


async def refused(code: str, call: Any) -> None:
    with pytest.raises(GameError) as error:
        await call
    assert error.value.code == code, error.value.message


async def test_start_makes_a_game_and_puts_the_room_in_playing(db: Database) -> None:
    code = await ready_room(db, "ann", "bob")
    await rooms.change_instrument(db, code, "bob", "drum")
    game = (await games.start_game(db, code, "ann", LEAD)).game
    assert game["code"] == code and game["gameState"] == "playing" and game["startedAt"]
    assert game["players"] == [
        {"nickname": "ann", "instrument": "select", "score": 0, "judged": False},
        {"nickname": "bob", "instrument": "drum", "score": 0, "judged": False},
    ]
    room = await rooms.get_room(db, code)
    assert room["gameState"] == "playing" and game["song"] == room["song"]
    assert await db.games.count_documents({"code": code, "gameState": "playing"}) == 1


async def test_start_is_refused_with_a_reason_and_changes_nothing(db: Database) -> None:
    code = await ready_room(db, "ann", "bob")
    await users.create_guest(db, "cat")
    await rooms.join_room(db, code, "cat")  # cat is not ready
    before = await everything(db)
    await refused("NOT_HOST", games.start_game(db, code, "bob", LEAD))
    await refused("NOT_ALL_READY", games.start_game(db, code, "ann", LEAD))
    await refused("NOT_IN_ROOM", games.start_game(db, code, "zed", LEAD))
    await refused("ROOM_NOT_FOUND", games.start_game(db, "ZZZZZZ", "ann", LEAD))
    assert await everything(db) == before
    await rooms.toggle_ready(db, code, "cat")
    await games.start_game(db, code, "ann", LEAD)
    playing = await everything(db)
    await refused("GAME_IN_PROGRESS", games.start_game(db, code, "ann", LEAD))
    assert await everything(db) == playing


async def test_the_last_loads_and_ends_at_once_decide_each_stage_exactly_once(db: Database) -> None:
    names = ("ann", "bob", "cat", "dan")
    code = await ready_room(db, *names)
    for round_number in range(1, 4):
        await games.start_game(db, code, "ann", LEAD)
        loaded = await asyncio.gather(*(games.player_loaded(db, code, name) for name in names))
        start_times = [change.start_time for change in loaded if change.start_time is not None]
        assert len(start_times) == 1
        game = await db.games.find_one({"code": code, "gameState": "playing"})
        assert game["startTime"] == start_times[0]
        ended = await asyncio.gather(*(games.game_ended(db, code, name, 100 * i) for i, name in enumerate(names)))
        results = [change.result for change in ended if change.result is not None]
        assert len(results) == 1 and results[0]["totalScore"] == 600
        assert await db.rankings.count_documents({"code": code}) == round_number
        room = await rooms.get_room(db, code)
        assert room["gameState"] == "waiting"
        assert [p["isReady"] for p in room["players"]] == [True, False, False, False]
        for name in names[1:]:
            await rooms.toggle_ready(db, code, name)


async def test_loading_or_ending_twice_changes_nothing(db: Database) -> None:
    code = await ready_room(db, "ann", "bob")
    await games.start_game(db, code, "ann", LEAD)
    assert (await games.player_loaded(db, code, "ann")).start_time is None
    assert (await games.player_loaded(db, code, "ann")).start_time is None
    assert (await games.game_ended(db, code, "ann", 50)).result is None
    assert (await games.game_ended(db, code, "ann", 99999)).result is None
    game = await db.games.find_one({"code": code})
    assert game["players"][0]["score"] == 50 and "startTime" not in game


async def test_steps_outside_a_playing_round_are_refused(db: Database) -> None:
    code = await ready_room(db, "ann", "bob")
    other = await ready_room(db, "cat")
    await refused("NOT_PLAYING", games.player_loaded(db, code, "ann"))
    await refused("NOT_PLAYING", games.game_ended(db, code, "ann", 10))
    await refused("ROOM_NOT_FOUND", games.game_ended(db, "ZZZZZZ", "ann", 10))
    await games.start_game(db, other, "cat", LEAD)
    before = await everything(db)
    await refused("NOT_IN_ROOM", games.player_loaded(db, other, "ann"))
    await refused("NOT_IN_ROOM", games.game_ended(db, other, "ann", 10))
    assert await everything(db) == before


async def test_a_player_leaving_mid_round_lets_the_others_start_and_finish(db: Database) -> None:
    code = await ready_room(db, "ann", "bob", "cat")
    await games.start_game(db, code, "ann", LEAD)
    await games.player_loaded(db, code, "bob")
    await games.player_loaded(db, code, "cat")
    left = await rooms.leave_room(db, code, "ann")  # the host, the last one not loaded
    assert left.new_host == "bob" and left.round is not None and left.round.start_time is not None
    await games.game_ended(db, code, "bob", 300)
    left = await rooms.leave_room(db, code, "cat")  # the last one not ended
    result = left.round.result
    assert result["players"] == [{"nickname": "bob", "instrument": "select", "score": 300, "judged": False}]
    assert result["totalScore"] == 300
    assert left.round.room["players"] == [{"nickname": "bob", "instrument": "select", "isReady": True}]
    assert (await rooms.get_room(db, code))["gameState"] == "waiting"


async def test_everyone_leaving_abandons_the_round_without_a_result(db: Database) -> None:
    code = await ready_room(db, "ann", "bob")
    await games.start_game(db, code, "ann", LEAD)
    await rooms.leave_room(db, code, "bob")
    left = await rooms.leave_room(db, code, "ann")
    assert left.room is None and left.round.result is None
    assert (await db.games.find_one({"code": code}))["gameState"] == "abandoned"
    assert await db.rankings.count_documents({}) == 0


async def test_each_player_keeps_the_last_five_songs_newest_first(db: Database) -> None:
    code = await ready_room(db, "ann")
    for number in range(0, 7):
        await rooms.change_song(db, code, "ann", number)
        await games.start_game(db, code, "ann", LEAD)
        await games.player_loaded(db, code, "ann")
        await games.game_ended(db, code, "ann", number * 10)
    recent = (await db.users.find_one({"nickname": "ann"}))["recentSongs"]
    assert [song["number"] for song in recent] == [6, 5, 4, 3, 2]
    assert recent[0]["score"] == 60 and recent[0]["title"] and recent[0]["playedAt"]


async def test_rankings_list_a_songs_results_best_first_up_to_the_limit(db: Database) -> None:
    code = await ready_room(db, "ann")
    await rooms.change_song(db, code, "ann", 2)
    for score in (30, 90, 60):
        await games.start_game(db, code, "ann", LEAD)
        await games.game_ended(db, code, "ann", score)
    best = await rankings.best_results(db, 2, limit=2)
    assert [result["totalScore"] for result in best] == [90, 60]
    assert set(best[0]) == {"rank", "gameId", "number", "title", "players", "totalScore", "judged", "finishedAt"}
    assert await rankings.best_results(db, 3) == []
    await refused("NOT_FOUND", rankings.best_results(db, 999))



async def test_a_last_step_and_a_leave_at_the_same_moment_decide_each_stage_once(db: Database) -> None:
    """Both steps may see the stage complete; the claim in the database lets only one announce it."""
    code = await ready_room(db, "ann", "bob", "cat", "dan")
    for round_number in range(1, 11):
        await games.start_game(db, code, "ann", LEAD)
        for name in ("ann", "cat", "dan"):
            await games.player_loaded(db, code, name)
        loaded, left = await asyncio.gather(games.player_loaded(db, code, "bob"), rooms.leave_room(db, code, "cat"))
        assert len([c for c in (loaded, left.round) if c.start_time is not None]) == 1
        for name in ("ann", "dan"):
            await games.game_ended(db, code, name, 10)
        ended, left = await asyncio.gather(games.game_ended(db, code, "bob", 10), rooms.leave_room(db, code, "dan"))
        results = [c.result for c in (ended, left.round) if c.result is not None]
        assert len(results) == 1 and results[0]["totalScore"] in (20, 30)
        assert await db.rankings.count_documents({}) == round_number
        for name in ("cat", "dan"):
            await rooms.join_room(db, code, name)
        for name in ("bob", "cat", "dan"):
            await rooms.toggle_ready(db, code, name)
