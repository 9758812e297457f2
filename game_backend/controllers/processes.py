"""Server processes: each keeps a heartbeat in the database; one whose heartbeat stops is taken for dead.

This module owns the `processes` collection: `{_id: process, beat, seenAt, host, pid}`.

A process counts its heartbeat up (`renew`) three times per PROCESS_LEASE_SECONDS.
No clock decides who is dead: a writer's clock, or a write that waited in a queue,
once stamped a lease that had expired before it was written, and a process took
itself for dead. Instead each process watches the others' counters with its own
eyes (moves/process_death.py) and claims one (`claim`) only after seeing it stand
still for a whole lease, while it could read the database all along (or,
for a process of the same machine, once its pid no longer runs). A claim
deletes the document only if the counter is still the one that was watched, so
exactly one claimant wins, and a process that was only slow and has beaten
since is never claimed. A process never claims itself; one that finds its
document gone (`renew` answers False) writes it anew and records its players
again.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from typing import Any

from ..storage.database import Database


async def renew(db: Database, process: str) -> bool:
    """One more heartbeat; False when the document had to be written anew (first start, or claimed meanwhile)."""
    result = await db.processes.update_one(
        {"_id": process},
        {
            "$inc": {"beat": 1},
            "$currentDate": {"seenAt": True},
            "$setOnInsert": {"host": socket.gethostname(), "pid": os.getpid()},
        },
        upsert=True,
    )
    return result.upserted_id is None


@dataclass(frozen=True)
class Heartbeat:
    beat: Any  # the counter (None in a document written before counters existed)
    host: str | None
    pid: int | None

    def died_on_this_machine(self) -> bool:
        """A process of this machine that no longer runs: dead for sure, with no lease to wait out (a server
        restarted after a crash claims its predecessor at once)."""
        if self.host != socket.gethostname() or not isinstance(self.pid, int) or self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False  # it runs, as another user
        return False


async def heartbeats(db: Database) -> dict[str, Heartbeat]:
    """Every process's heartbeat, by its id."""
    documents = await db.processes.find({}, {"beat": 1, "host": 1, "pid": 1}).to_list(None)
    return {doc["_id"]: Heartbeat(doc.get("beat"), doc.get("host"), doc.get("pid")) for doc in documents}


async def claim(db: Database, process: str, beat: Any) -> bool:
    """Take `process` for dead if its counter still reads `beat`; True for the one caller that does."""
    return bool((await db.processes.delete_one({"_id": process, "beat": beat})).deleted_count == 1)


async def retire(db: Database, process: str) -> None:
    """This process stops cleanly: its heartbeat goes with it."""
    await db.processes.delete_one({"_id": process})
