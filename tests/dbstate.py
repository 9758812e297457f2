"""Snapshots of a whole database, to assert that a refused request changed nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from game_backend.storage.database import Database, connect

# The servers' own bookkeeping: each process's lease (renewed on a timer), and the short holds requests take turns with.
BOOKKEEPING = frozenset({"processes", "leases"})


async def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection (but the servers' bookkeeping), in a stable order."""
    state = {}
    for name in sorted(set(await db.db.list_collection_names()) - BOOKKEEPING):
        documents = await db.db[name].find({}).to_list(length=None)
        state[name] = sorted(documents, key=lambda document: str(document["_id"]))
    return state


@asynccontextmanager
async def inspected(mongodb_uri: str, database_name: str) -> AsyncIterator[Database]:
    """A handle on a test's database for assertions; the database is dropped afterwards."""
    database = connect(mongodb_uri, database_name, timeout=30)
    try:
        yield database
    finally:
        await database.client.drop_database(database_name)
        await database.close()
