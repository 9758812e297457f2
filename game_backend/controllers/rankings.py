"""Rankings: the saved results of finished rounds, per song, best first. This module owns the `rankings` collection.

An entry is `judged` when every score in it is the server's judgement of the
player's presses; otherwise at least one score is what a client reported
(within what the chart allows). Equal totals share a rank: 1, 1, 3.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..storage.database import Database
from ..storage.documents import jsonable
from . import songs

RESULT_FIELDS = {
    "_id": 0,
    "gameId": 1,
    "number": 1,
    "title": 1,
    "players": 1,
    "totalScore": 1,
    "judged": 1,
    "finishedAt": 1,
}
DEFAULT_LIMIT = 10


async def best_results(
    db: Database, number: int, limit: int = DEFAULT_LIMIT, judged_only: bool = False
) -> list[dict[str, Any]]:
    """The `limit` best results of song `number` by total score, each with its `rank`; of equal totals the
    earlier comes first. `judged_only`: only entries the server judged whole."""
    await songs.get_song(db, number)
    query: dict[str, Any] = {"number": number, "judged": True} if judged_only else {"number": number}
    results: list[dict[str, Any]] = (
        await db.rankings.find(query, RESULT_FIELDS)
        .sort([("totalScore", -1), ("finishedAt", 1)])
        .limit(limit)
        .to_list(length=None)
    )
    for result, rank in zip(results, shared_ranks([result["totalScore"] for result in results]), strict=True):
        result["rank"] = rank
        result.setdefault("judged", False)  # saved before rounds were judged
    return jsonable(results)


def shared_ranks(scores: list[int]) -> list[int]:
    """The rank of each of `scores` (best first): equal scores share one, and the next rank skips (1, 1, 3)."""
    ranks: list[int] = []
    for place, score in enumerate(scores):
        ranks.append(ranks[-1] if place and score == scores[place - 1] else place + 1)
    return ranks


async def save_result(
    db: Database, game_id: Any, code: str, number: int, players: list[dict[str, Any]], finished_at: datetime
) -> dict[str, Any]:
    """The ranking entry of a finished game; saving it twice (a retried finish) keeps one."""
    song = await db.songs.find_one({"number": number}, {"_id": 0, "title": 1})
    result: dict[str, Any] = {
        "gameId": game_id,
        "number": number,
        "title": song["title"] if song else None,
        "players": players,
        "totalScore": sum(player["score"] for player in players),
        "judged": all(player["judged"] for player in players),
        "finishedAt": finished_at,
    }
    await db.rankings.update_one(
        {"gameId": game_id},
        {"$setOnInsert": {**result, "code": code}},
        upsert=True,
    )
    return jsonable(result)
