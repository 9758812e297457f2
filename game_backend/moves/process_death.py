"""A server process dies: what happens, in one place.

Every process keeps a heartbeat in MongoDB under its lease (controllers/processes.py: `renew`, three times
per PROCESS_LEASE_SECONDS), and every half second (realtime/sweep.py) reads everyone else's. Then:

seen        a process is taken for dead when its counter has stood still for a whole lease while this
            process was watching (`DeathWatch`, below), or at once when it ran on this machine and its pid
            no longer runs (a server restarted after a crash)
claimed     exactly one watcher claims it (`processes.claim`: the heartbeat is deleted only if its counter
            is still the one watched)
recovered   that watcher records the dead process's connections as gone (`recover`): each of its players
            with no connection left elsewhere has their seats held for the grace period, as after any
            drop (moves/connections.py), then given up by the sweep's `expire` unless they come back; the
            dead process's Redis counts lapse with its `alive` key (edge/shared_limits.py)
reasserted  a process that was only stopped or starved, and finds its heartbeat claimed, records its live
            connections again and takes their seats back (`reassert`)
retired     a process that stops cleanly records every departure first (realtime/lifecycle.py `shutdown`),
            then removes its heartbeat (`retire`), so nobody waits a lease for it

Its players' sockets reconnect to another process (or to its restart, under a new lease: moves/world.py
`ServerProcess`) and take their held seats back there.

How the watch sees a death: a process is taken for dead when its counter has stood still for a whole
lease (three renewals: at least two missed) *while this process was watching*: every sweep in between read
the database, and none came more than `blink` seconds after the one before. A database that stalls, or a
watcher that stalls (its own event loop, its machine), blinds the watcher: it starts counting again from its
next look. So a stall of the database, however long, makes nobody dead: everyone has a full lease after it
to beat again. No clock is compared with another's, and a process never watches itself.
"""

from __future__ import annotations

import logging
from typing import Any

from .. import announce
from ..controllers import processes, rooms, users
from ..identity.tokens import Identity
from .connections import hold_seats
from .world import World

log = logging.getLogger(__name__)


class DeathWatch:
    def __init__(self, me: str, silence: float, blink: float) -> None:
        self.me = me
        self.silence = silence  # how long a counter must stand still to count as dead
        self.blink = blink  # the longest gap between two looks that still counts as watching
        self._seen: dict[str, tuple[Any, float]] = {}  # process -> (counter, since when it has read so)
        self._last_look: float | None = None

    def blind(self) -> None:
        """This process could not look (the database did not answer): what it saw before no longer counts."""
        self._seen.clear()
        self._last_look = None

    def look(self, beats: dict[str, Any], moment: float) -> list[tuple[str, Any]]:
        """The counters read at `moment` (monotonic seconds); the (process, counter) that stood still too long."""
        if self._last_look is not None and moment - self._last_look > self.blink:
            self._seen.clear()  # too long since the last look: this process was not watching meanwhile
        self._last_look = moment
        dead = []
        for process, beat in beats.items():
            if process == self.me:
                continue
            seen = self._seen.get(process)
            if seen is None or seen[0] != beat:
                self._seen[process] = (beat, moment)
            elif moment - seen[1] >= self.silence:
                dead.append((process, beat))
        for gone in self._seen.keys() - beats.keys():
            del self._seen[gone]
        return dead


async def recover(world: World, process: str) -> None:
    """A dead server process's players (`process` is its lease): their connections there are gone, as if they
    had each disconnected."""
    db = world.db
    orphans = await users.sockets_held_by(db, process)
    log.warning("server process %s stopped beating: recording %d player(s) there as gone", process, len(orphans))
    for nickname, _ in orphans:
        if not await users.drop_sockets_of(db, nickname, process):
            await hold_seats(world, nickname)


async def reassert(world: World, live: list[tuple[str, Identity]]) -> None:
    """This process had been taken for dead (another claimed its heartbeat while it could not beat): its `live`
    connections (sid, player) are recorded again, and those whose seats are still held take them back."""
    log.warning(
        "another process took this one for dead while it could not beat: recording its %d connection(s) again",
        len(live),
    )
    db = world.db
    for sid, identity in live:
        if not await users.still_connected(db, identity.nickname, sid, world.process.lease):
            continue
        room = await rooms.reclaim_seat(db, identity.nickname)
        await announce.follow(world.sio, [sid], room["code"] if room is not None else None)
        world.presence.changed(identity.nickname, True, [room["code"]] if room else [])


async def retire(world: World) -> None:
    """This process stops cleanly (its departures recorded): its heartbeat goes with it."""
    await processes.retire(world.db, world.process.lease)
