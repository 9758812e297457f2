"""How many database commands one request sends: its round trips, counted per request for the metrics.

`with counted(record):` around a request; every command the driver starts
inside it adds one to the count handed to `record` on the way out, whether it starts in the request's own
task (PyMongo's async client) or in a thread of motor's pool, which runs in a
copy of the request's context. Commands of a batch writer run detached
(deadline.detached) and are not counted against the requests they carry.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent


class Trips:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


_CURRENT: contextvars.ContextVar[Trips | None] = contextvars.ContextVar("database_round_trips", default=None)


@contextmanager
def counted(record: Callable[[int], None] | None) -> Iterator[None]:
    """Count the block's database commands and hand the count to `record` (None: count nothing)."""
    if record is None:
        yield
        return
    trips = Trips()
    token = _CURRENT.set(trips)
    try:
        yield
    finally:
        _CURRENT.reset(token)
        record(trips.count)


class RoundTripCounter(CommandListener):
    """The driver's listener that adds each command to the request it was sent for."""

    def started(self, event: CommandStartedEvent) -> None:
        trips = _CURRENT.get()
        if trips is not None:
            trips.count += 1

    def succeeded(self, event: CommandSucceededEvent) -> None:
        pass

    def failed(self, event: CommandFailedEvent) -> None:
        pass
