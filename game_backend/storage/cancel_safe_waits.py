"""PyMongo's asyncio driver on Python 3.11: a cancelled wait must not leave its lock held for good.

PyMongo's `AsyncMongoClient` waits on its own conditions (a server to select,
a free connection) through `pymongo.lock._async_cond_wait`, which wraps
`Condition.wait()` in `asyncio.wait_for`. On Python 3.11, `wait_for` runs the
wait as a separate task; when the caller is cancelled just as that wait times
out (our deadline's asyncio backstop does exactly that while the database is
down), `wait_for` returns before the inner task has taken the lock back. The
caller then releases a lock it does not hold (`RuntimeError: Lock is not
acquired`, answered INTERNAL), and the inner task takes the lock a moment
later and ends still holding it: every later server selection of that client
waits forever, so the process never talks to the database again.

Python 3.12 rewrote `wait_for` on `asyncio.timeout`, which waits in the
caller's own task; this module gives 3.11 the same wait. `install()` is
called where a PyMongo client is made; it does nothing on 3.12 and later.
"""

from __future__ import annotations

import asyncio
import sys

import pymongo.asynchronous.pool
import pymongo.asynchronous.topology
import pymongo.lock

# Each module that imported the wait by name holds its own reference to it.
_WAITERS = (pymongo.lock, pymongo.asynchronous.pool, pymongo.asynchronous.topology)


async def _wait_in_this_task(condition: pymongo.lock.Condition, timeout: float | None) -> bool:
    """`_async_cond_wait` with the wait inside the caller's task: a cancellation re-takes the lock before it
    propagates, as `Condition.wait` promises."""
    try:
        async with asyncio.timeout(timeout):
            return await condition.wait()
    except TimeoutError:
        return False


def install() -> None:
    if sys.version_info < (3, 12):
        for module in _WAITERS:
            module._async_cond_wait = _wait_in_this_task  # type: ignore[attr-defined]  # noqa: SLF001
