"""Server processes: each holds a lease in the database; one whose lease runs out is taken for dead.

This module owns the `processes` collection. A process renews its lease
(`renew`) three times per PROCESS_LEASE_SECONDS. Any process can find the
dead ones (`claim_dead`): each dead process is claimed by deleting its
document, which succeeds for exactly one claimant, so its players'
connections are recorded as gone once, by one survivor (or by a restarted
server).
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from ..storage.database import Database
from ..storage.documents import now


async def renew(db: Database, process: str, lease_seconds: float) -> None:
    """This process is alive for `lease_seconds` more."""
    moment = now()
    await db.processes.update_one(
        {"_id": process},
        {"$set": {"expiresAt": moment + timedelta(seconds=lease_seconds), "seenAt": moment},
         "$setOnInsert": {"host": socket.gethostname(), "pid": os.getpid(), "startedAt": moment}},
        upsert=True,
    )


async def claim_dead(db: Database) -> list[str]:
    """The processes whose lease ran out, each claimed (and so returned) by one caller only."""
    moment = now()
    claimed = []
    for expired in await db.processes.find({"expiresAt": {"$lt": moment}}, {"_id": 1}).to_list(None):
        if await db.processes.find_one_and_delete({"_id": expired["_id"], "expiresAt": {"$lt": moment}}) is not None:
            claimed.append(expired["_id"])
    return claimed


async def retire(db: Database, process: str) -> None:
    """This process stops cleanly: its lease goes with it."""
    await db.processes.delete_one({"_id": process})
