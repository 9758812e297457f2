"""Which other server processes have died, as this process sees it with its own eyes.

Every sweep reads the heartbeat counters of all processes (controllers/processes.py).
A process is taken for dead when its counter has stood still for a whole
lease (PROCESS_LEASE_SECONDS, three renewals: at least two missed) *while
this process was watching*: every sweep in between read the database, and
none came more than `blink` seconds after the one before. A database that
stalls, or a watcher that stalls (its own event loop, its machine), blinds the
watcher: it starts counting again from its next look. So a stall of the
database, however long, makes nobody dead: everyone has a full lease after
it to beat again. No clock is compared with another's, and a process never
watches itself.
"""

from __future__ import annotations

from typing import Any


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
