"""Snapshots of a whole database, to assert that a refused request changed nothing."""

from __future__ import annotations

from typing import Any

from game_backend.db import Database


async def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection, in a stable order."""
    state = {}
    for name in sorted(await db.db.list_collection_names()):
        documents = await db.db[name].find({}).to_list(length=None)
        state[name] = sorted(documents, key=lambda document: str(document["_id"]))
    return state
