"""Connection state recovery (CONNECTION_RECOVERY): a player who drops and comes back, to any process, gets the
room events they missed, as socket.io's own recovery gives them.

The protocol is the Node server's: with recovery on, every event sent without
a callback carries one more, last argument, its offset; the CONNECT packet
carries a private session id (`pid`); a client reconnecting sends back
`{pid, offset}` (the last offset it received) in its handshake's `auth`, and
is told it recovered when the server's CONNECT echoes its `pid`.

Offsets are `<13-digit milliseconds><6-digit sequence><NODE_ID>`: they sort by
time, and within one process by the order sent. Events sent to game rooms
(except `liveScore...`, many a second and stale a moment later) are kept in
MongoDB's `room_events`, written in batches behind the emits, kept for the
grace period plus a margin, then swept. MongoDB rather than Redis Streams:
state lives in MongoDB, so recovery works the same with one process and no
Redis, and room events are few (each already follows a write to the room).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import PyMongoError

from ..room_codes import is_room_code
from ..storage.database import Database
from ..storage.deadline import detached
from ..storage.documents import now

log = logging.getLogger(__name__)

MAX_REPLAY = 500  # more missed events than this: the client starts afresh (seatRestored tells it the room)
RETENTION_MARGIN_SECONDS = 30.0
SETTLE_SECONDS = 0.05  # lets another process's write of an event it sent a moment ago land before the replay reads
OFFSET = re.compile(r"\d{19}[A-Za-z0-9]{0,32}")
PID = re.compile(r"[A-Za-z0-9_-]{16,64}")
UNSTORED_PREFIXES = ("liveScore",)


@dataclass(frozen=True)
class Recovery:
    """What a reconnecting client asked for: its private session id and the last offset it received."""

    pid: str
    offset: str

    @classmethod
    def asked(cls, auth: Any) -> Recovery | None:
        if not isinstance(auth, dict):
            return None
        pid, offset = auth.get("pid"), auth.get("offset")
        if isinstance(pid, str) and isinstance(offset, str) and PID.fullmatch(pid) and OFFSET.fullmatch(offset):
            return cls(pid, offset)
        return None


def new_pid() -> str:
    return secrets.token_urlsafe(16)


def offset_of(packet: str) -> str | None:
    """The offset an encoded event packet carries (its last argument), if any."""
    if not packet.endswith('"]'):
        return None
    start = packet.rfind('"', 0, len(packet) - 2)
    candidate = packet[start + 1 : -2]
    return candidate if start > 0 and OFFSET.fullmatch(candidate) else None


class RoomJournal:
    """Stamps every emit with an offset and keeps game rooms' events for replay (the client manager calls `stamp`)."""

    def __init__(self, node: str, database: Callable[[], Database], grace_seconds: float) -> None:
        self.node = node
        self.database = database
        self.retention = timedelta(seconds=grace_seconds + RETENTION_MARGIN_SECONDS)
        self._ms = 0
        self._seq = 0
        self._pending: list[dict[str, Any]] = []
        self._writer: asyncio.Task[None] | None = None
        self._lost_up_to = ""  # the newest offset of a batch the database did not take

    def next_offset(self) -> str:
        ms = int(time.time() * 1000)
        if ms > self._ms:
            self._ms, self._seq = ms, 0
        elif self._seq < 999_999:
            self._seq += 1
        else:
            self._ms, self._seq = self._ms + 1, 0
        return f"{self._ms:013d}{self._seq:06d}{self.node}"

    def stamp(self, namespace: str, room: Any, event: str, args: list[Any]) -> None:
        """Append the offset to `args`; keep the event for each game room (named by its code) it went to."""
        offset = self.next_offset()
        codes = [name for name in ([room] if isinstance(room, str) else room or []) if is_room_code(name)]
        if namespace == "/" and codes and not event.startswith(UNSTORED_PREFIXES):
            moment = now()
            self._pending += [
                {"room": code, "offset": offset, "at": moment, "event": event, "args": list(args)} for code in codes
            ]
            if self._writer is None or self._writer.done():
                self._writer = detached(self._write())  # free of the deadline of the event that started it
        args.append(offset)

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self.database().room_events.insert_many(batch, ordered=False)
            except PyMongoError as error:
                self._lost_up_to = max(self._lost_up_to, batch[-1]["offset"])
                log.warning(
                    "could not keep %d room event(s) for recovery (%s): clients that missed them will start afresh",
                    len(batch),
                    error,
                )

    async def flush(self) -> None:
        """Wait until every event stamped so far is written (or given up)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def missed(self, room: str, offset: str) -> list[tuple[str, str, list[Any]]] | None:
        """(offset, event, args) of room `room`'s events after `offset`, oldest first; None when they cannot all
        be given (too old, too many, or some were not kept)."""
        oldest = int((now() - self.retention).timestamp() * 1000)
        if int(offset[:13]) < oldest or offset < self._lost_up_to:
            return None
        await self.flush()
        await asyncio.sleep(SETTLE_SECONDS)
        cursor = self.database().room_events.find(
            {"room": room, "offset": {"$gt": offset}}, {"_id": 0, "offset": 1, "event": 1, "args": 1}
        )
        rows = await cursor.sort("offset", ASCENDING).limit(MAX_REPLAY + 1).to_list(None)
        if len(rows) > MAX_REPLAY:
            return None
        return [(row["offset"], row["event"], row["args"]) for row in rows]

    async def sweep(self) -> None:
        """Forget events older than anyone may still recover."""
        await self.database().room_events.delete_many({"at": {"$lt": now() - self.retention}})
