"""The reconnect grace period: a dropped player's seat is held, then given up if they do not return.

The deadline lives in MongoDB (`players.$.leaveAt`), not in a timer of the
process that saw the disconnect, so a seat is released even if that process
is gone. Every process sweeps for expired seats; the conditional leave lets
exactly one of them release each seat and announce it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import socketio
from pymongo.errors import ConnectionFailure

from ..controllers import rooms
from ..db import Database
from ..documents import now
from ..errors import GameError
from . import announce

log = logging.getLogger(__name__)

LONGEST_SWEEP_INTERVAL = 1.0


async def hold_seat(db: Database, code: str, nickname: str, grace_seconds: float) -> bool:
    held = await rooms.hold_seat(db, code, nickname, now() + timedelta(seconds=grace_seconds))
    if held:
        log.info("holding %s's seat in room %s for %g s", nickname, code, grace_seconds)
    return held


async def release_expired_seats(sio: socketio.AsyncServer, db: Database) -> int:
    """Give up every seat whose grace has ended; returns how many this process released."""
    moment = now()
    released = 0
    for code, nickname in await rooms.expired_seats(db, moment):
        try:
            left = await rooms.leave_room(db, code, nickname, away_since=moment)
        except GameError:
            continue  # reclaimed, or released by another process
        log.info("%s did not come back within the grace period", nickname)
        await announce.departure(sio, left)
        released += 1
    return released


async def sweep_forever(sio: socketio.AsyncServer, database: Callable[[], Database], grace_seconds: float) -> None:
    interval = min(LONGEST_SWEEP_INTERVAL, grace_seconds / 2)
    while True:
        await asyncio.sleep(interval)
        try:
            await release_expired_seats(sio, database())
        except ConnectionFailure:
            log.warning("could not release expired seats: the database did not answer")
        except Exception:
            log.exception("releasing expired seats failed")
