"""Session ids the database may list with no live session behind them, watched until they are gone for good.

A connection refused while the database stalls (its deadline passed) had
already sent its record, the `$push` of its session id (users.connected). The
database may apply that write when it wakes up, after the refusal: the user
would then count as connected for good, their seat never released, their
friends seeing them online. So a refused connection's departure is recorded
as any other (lifecycle.depart), and its session id is watched here: each
sweep removes it again, until GHOST_WATCH_SECONDS after the database first
answered the removal (a late write lands as soon as the database wakes). A
late record caught that way is a departure like any: the seat is held, then
released. Besides, every RECONCILE_SECONDS the sweep compares the sessions the
database lists for this process with those it really holds.
"""

from __future__ import annotations

GHOST_WATCH_SECONDS = 10.0
RECONCILE_SECONDS = 30.0


class Ghosts:
    def __init__(self) -> None:
        self._watched: dict[str, float | None] = {}  # sid -> when the database first answered its removal

    def watch(self, sid: str) -> None:
        self._watched.setdefault(sid, None)

    def watched(self) -> list[str]:
        return list(self._watched)

    def removed(self, sids: list[str], moment: float) -> None:
        """The database answered the removal of `sids` at `moment`; those watched long enough are let go."""
        for sid in sids:
            first = self._watched.get(sid, 0.0)
            if first is None:
                self._watched[sid] = moment
            elif moment - first >= GHOST_WATCH_SECONDS:
                self._watched.pop(sid, None)
