"""The sweep: what every server process does in the background, every SWEEP_SECONDS.

beat        count this process's heartbeat up, three times per PROCESS_LEASE_SECONDS; if another
            process took this one for dead meanwhile, write it anew and record this process's players
            again (moves.process_death.reassert)
watch       read every process's heartbeat, and claim one that stood still for a whole lease while this
            process watched, or one of this machine whose pid no longer runs: its players'
            connections are recorded as gone (moves/process_death.py), their seats held for the grace period,
            then released
retry       record the departures the database could not take when they happened
ghosts      remove the session ids of refused connections whose records landed late, and every
            RECONCILE_SECONDS any session id of this process's that no live session holds (ghosts.py)
expire      give up every held seat whose grace has ended (moves.connections.expire)

Each sweep keeps its own database deadline. A sweep that finds the database
unavailable blinds the watch (what it saw before no longer counts) and tries
again at the next: a stall of the database makes nobody dead.

How long a dead process's players keep their seats: its last heartbeat came
at most one sweep before it died, this process saw it at most one sweep
later, claims it a lease after that (within a sweep), holds the seats for the
grace period, and expires them at the next sweep: at most
PROCESS_LEASE_SECONDS + RECONNECT_GRACE_SECONDS + 3 x SWEEP_SECONDS after the
crash (docs/what-survives-what.md).
"""

from __future__ import annotations

import asyncio
import logging
import time

from ..controllers import processes, users
from ..moves import connections, process_death
from ..moves.process_death import DeathWatch
from ..storage.database import Database
from ..storage.deadline import deadline, is_outage
from . import lifecycle
from .dispatcher import Dispatcher
from .ghosts import RECONCILE_SECONDS

log = logging.getLogger(__name__)

SWEEP_SECONDS = 0.5
TELL_EVERY_SECONDS = 5.0


class Sweeper:
    def __init__(self, dispatcher: Dispatcher) -> None:
        settings = dispatcher.world.settings
        self.dispatcher = dispatcher
        self.world = dispatcher.world
        self.interval = min(SWEEP_SECONDS, settings.process_lease_seconds / 3)
        self.beat_every = settings.process_lease_seconds / 3
        # A look that comes later than a sweep and a deadline after the one before finds this process was
        # not watching meanwhile (its own loop, or its machine, stood still).
        self.watch = DeathWatch(
            dispatcher.world.process.lease,
            silence=settings.process_lease_seconds,
            blink=self.interval + settings.database_timeout + 1.0,
        )
        self.beaten_at: float | None = None
        self.reconciled_at = time.monotonic()
        self.told_unrecorded = float("-inf")

    async def run_forever(self) -> None:
        while True:
            try:
                async with deadline(self.world.settings.database_timeout):
                    await self.sweep(self.world.db)
            except Exception as error:
                self.watch.blind()
                if is_outage(error):
                    log.warning("the sweep could not reach the database in time; it will try again")
                else:
                    log.exception("the sweep failed")
            await asyncio.sleep(self.interval)

    async def sweep(self, db: Database) -> None:
        dispatcher, world = self.dispatcher, self.world
        moment = time.monotonic()
        if self.beaten_at is None or moment - self.beaten_at >= self.beat_every:
            known = await processes.renew(db, world.process.lease)
            if world.limits is not None:
                await world.limits.keep_alive(world.settings.process_lease_seconds)
            if not known and self.beaten_at is not None:
                await process_death.reassert(world, dispatcher.connections.players())
            self.beaten_at = moment
            if world.journal is not None:
                await world.journal.sweep()
        beats = await processes.heartbeats(db)
        dead = self.watch.look({process: heart.beat for process, heart in beats.items()}, time.monotonic())
        dead += [(process, heart.beat) for process, heart in beats.items() if heart.died_on_this_machine()]
        for process, beat in dict(dead).items():
            if await processes.claim(db, process, beat):
                await process_death.recover(world, process)
        if dispatcher.unrecorded and time.monotonic() - self.told_unrecorded >= TELL_EVERY_SECONDS:
            self.told_unrecorded = time.monotonic()  # said once in a while, not once per player
            log.warning(
                "%d departure(s) the database did not take in time wait to be recorded; retrying",
                len(dispatcher.unrecorded),
            )
        for sid, nickname in list(dispatcher.unrecorded.items()):
            if not await lifecycle.depart(dispatcher, sid, nickname):
                return  # still down: the next sweep tries again
        await self.lay_ghosts(db)
        if world.settings.reconnect_grace_seconds > 0:
            await connections.expire(world)

    async def lay_ghosts(self, db: Database) -> None:
        """Remove the session ids of this process's that no live session holds: the watched ones every sweep,
        all of them every RECONCILE_SECONDS."""
        dispatcher = self.dispatcher
        watched = dispatcher.ghosts.watched()
        everything = time.monotonic() - self.reconciled_at >= RECONCILE_SECONDS
        if not watched and not everything:
            return
        held = await users.sockets_held_by(db, self.world.process.lease, among=None if everything else watched)
        for nickname, sids in held:
            for sid in sids:
                if sid in dispatcher.connections.by_sid or sid in dispatcher.unrecorded:
                    continue  # live, or its departure is being recorded
                log.warning(
                    "%s's session %s is recorded, but no connection of this process holds it: recording its departure",
                    nickname,
                    sid,
                    extra={"sid": sid, "nickname": nickname},
                )
                await lifecycle.depart(dispatcher, sid, nickname)
        dispatcher.ghosts.removed(watched, time.monotonic())
        if everything:
            self.reconciled_at = time.monotonic()
