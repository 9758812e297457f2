"""Rankings: the saved results of finished rounds, per song, best first."""

from __future__ import annotations

from typing import Any

from ..db import Database
from ..documents import jsonable
from . import songs

RESULT_FIELDS = {"_id": 0, "number": 1, "title": 1, "players": 1, "totalScore": 1, "finishedAt": 1}
DEFAULT_LIMIT = 10


async def best_results(db: Database, number: int, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """The `limit` best results of song `number` by total score; of equal totals the earlier comes first."""
    await songs.get_song(db, number)
    results = await db.rankings.find({"number": number}, RESULT_FIELDS).sort(
        [("totalScore", -1), ("finishedAt", 1)]
    ).limit(limit).to_list(length=None)
    return jsonable(results)
