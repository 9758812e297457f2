"""Deadlines on database work, and what counts as the database being unavailable.

A request (a Socket.IO event, a REST call, a connection's arrival, one sweep)
runs `async with deadline(seconds):`. Every database operation inside it
shares that one deadline, wherever it waits:

- pymongo keeps the deadline in a context variable (`pymongo.timeout`). An
  operation that starts past it fails before anything is sent ("operation
  would exceed time limit"), and one under way gets only the time left.
- motor runs each operation in a thread of its pool, but copies the caller's
  context into that thread: the deadline set where the request began also
  covers the time the operation waited for a free thread. Without it, calls
  queued behind a stalled database waited 30 s and more for their turn.
- An asyncio timeout a moment after the deadline answers the caller even if
  something outside pymongo still waits.

Past the deadline the caller answers UNAVAILABLE (503 over REST). A write the
database took just before the deadline may still be applied when it wakes up;
that is why every retried write here is idempotent.

Background work that outlives a request (a batch writer, the journal's
writer) runs `detached`, so that it does not inherit the deadline of the
request that happened to start it.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pymongo
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError, WTimeoutError

T = TypeVar("T")

SLACK_SECONDS = 0.5  # how long after the deadline the asyncio timeout answers the caller regardless
MINIMUM_SECONDS = 0.001
_ENDS_AT: contextvars.ContextVar[float | None] = contextvars.ContextVar("database_deadline", default=None)

# What an unreachable, stopped or overloaded database raises: each answers UNAVAILABLE (503 over REST).
OUTAGE_TYPES = (ConnectionFailure, ExecutionTimeout, WTimeoutError, TimeoutError)


def is_outage(error: BaseException) -> bool:
    """Whether `error` means the database (or the request's deadline) failed, not the request itself.

    Besides the outage types, any pymongo error that says it came from a timeout (a bulk write cut short,
    a write concern that timed out) counts.
    """
    return isinstance(error, OUTAGE_TYPES) or (isinstance(error, PyMongoError) and error.timeout)


@asynccontextmanager
async def deadline(seconds: float) -> AsyncIterator[None]:
    """Every database operation in the block, queued or running, ends within `seconds` from now (or by the
    deadline of an enclosing block, if that comes first)."""
    moment = time.monotonic()
    earlier = _ENDS_AT.get()
    ends = moment + seconds if earlier is None else min(earlier, moment + seconds)
    left = max(ends - moment, MINIMUM_SECONDS)  # pymongo reads 0 as "no deadline"
    token = _ENDS_AT.set(ends)
    try:
        with pymongo.timeout(left):
            async with asyncio.timeout(left + SLACK_SECONDS):
                yield
    finally:
        _ENDS_AT.reset(token)


def ends_at() -> float | None:
    """When the current request's deadline passes (`time.monotonic()`), or None outside any."""
    return _ENDS_AT.get()


def detached(coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run `coroutine` as a task of its own, in an empty context: free of the calling request's deadline."""
    return asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())
