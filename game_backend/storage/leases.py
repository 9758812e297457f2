"""Leases: a short hold on a name, kept in the database, so that requests on any process take turns.

`async with held(db, "seat:ann"):` waits until no other request (on any
process) holds "seat:ann", holds it, and lets it go on the way out. A hold
lasts at most `seconds`, so a process that dies holding one cannot block the
name for longer. This module owns the `leases` collection.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from ..errors import GameError
from .database import Database
from .documents import now

FIRST_RETRY = 0.01  # seconds; each wait is half as long again, up to LONGEST_RETRY
LONGEST_RETRY = 0.25


@asynccontextmanager
async def held(db: Database, name: str, seconds: float = 15.0, wait: float = 10.0) -> AsyncIterator[None]:
    """Hold `name` for the block; UNAVAILABLE if it could not be had within `wait` seconds."""
    holder = secrets.token_hex(8)
    give_up = time.monotonic() + wait
    pause = FIRST_RETRY
    while True:
        moment = now()
        try:
            await db.leases.insert_one({"_id": name, "until": moment + timedelta(seconds=seconds), "holder": holder})
            break
        except DuplicateKeyError:
            if (await db.leases.delete_one({"_id": name, "until": {"$lt": moment}})).deleted_count:
                continue  # its holder died holding it
            if time.monotonic() > give_up:
                raise GameError("UNAVAILABLE", "the server is busy with this request elsewhere; try again") from None
            await asyncio.sleep(pause * (1 + random.random()))
            pause = min(pause * 1.5, LONGEST_RETRY)
    try:
        yield
    finally:
        await db.leases.delete_one({"_id": name, "holder": holder})
