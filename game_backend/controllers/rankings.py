"""Rankings: the saved results of finished rounds, per song, best first. This module owns the `rankings` collection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..storage.database import Database
from ..storage.documents import jsonable
from . import songs

RESULT_FIELDS = {"_id": 0, "number": 1, "title": 1, "players": 1, "totalScore": 1, "finishedAt": 1}
DEFAULT_LIMIT = 10


async def best_results(db: Database, number: int, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """The `limit` best results of song `number` by total score; of equal totals the earlier comes first."""
    await songs.get_song(db, number)
    results: list[dict[str, Any]] = await db.rankings.find({"number": number}, RESULT_FIELDS).sort(
        [("totalScore", -1), ("finishedAt", 1)]
    ).limit(limit).to_list(length=None)
    return jsonable(results)


async def save_result(db: Database, game_id: Any, code: str, number: int, players: list[dict[str, Any]],
                      finished_at: datetime) -> dict[str, Any]:
    """The ranking entry of a finished game; saving it twice (a retried finish) keeps one."""
    song = await db.songs.find_one({"number": number}, {"_id": 0, "title": 1})
    result: dict[str, Any] = {
        "number": number,
        "title": song["title"] if song else None,
        "players": players,
        "totalScore": sum(player["score"] for player in players),
        "finishedAt": finished_at,
    }
    await db.rankings.update_one(
        {"gameId": game_id},
        {"$setOnInsert": {**result, "gameId": game_id, "code": code}},
        upsert=True,
    )
    return jsonable(result)
