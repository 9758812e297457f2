"""PyMongo's asyncio waits survive being cancelled as they time out (game_backend/storage/cancel_safe_waits.py).

On Python 3.11 without the fix, a request cancelled by its deadline just as PyMongo's server-selection wait
timed out released a lock it did not hold (answered INTERNAL) and left the lock held for good: the client then
never selected a server again. The waits here are the ones PyMongo's topology and pool call.

Each scenario runs on an event loop of its own in a thread: a lock held for good would hang the test's loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from types import ModuleType

import pymongo.asynchronous.pool
import pymongo.asynchronous.topology
import pymongo.lock
import pytest

from game_backend.storage import cancel_safe_waits

WAIT = 0.05
Wait = Callable[[pymongo.lock.Condition, float], Awaitable[bool]]


async def cancel_as_they_time_out(wait: Wait) -> list[str]:
    """Twenty tasks wait on one condition; each round cancels them at, or just after, the moment their wait
    times out. What went wrong, if anything."""
    problems: list[str] = []
    for offset in range(20):
        lock = pymongo.lock.Lock()
        condition = pymongo.lock.Condition(lock)

        async def waiter(lock: pymongo.lock.Lock = lock, condition: pymongo.lock.Condition = condition) -> None:
            async with lock:
                await wait(condition, WAIT)

        waiters = [asyncio.ensure_future(waiter()) for _ in range(20)]
        await asyncio.sleep(WAIT + offset * 0.0002)
        for task in waiters:
            task.cancel()
        await asyncio.wait(waiters)
        problems += [f"{type(error).__name__}: {error}" for task in waiters
                     if not task.cancelled() and (error := task.exception()) is not None]
        if lock.locked():
            problems.append(f"the lock stayed held after every waiter ended (round {offset})")
            break
    return problems


@pytest.mark.parametrize("module", [pymongo.asynchronous.topology, pymongo.asynchronous.pool])
def test_a_wait_cancelled_as_it_times_out_gives_its_lock_back(module: ModuleType) -> None:
    cancel_safe_waits.install()
    problems: list[str] = []
    thread = threading.Thread(target=lambda: problems.extend(asyncio.run(cancel_as_they_time_out(
        module._async_cond_wait))), daemon=True)  # noqa: SLF001
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the cancelled waits never ended: a lock is held for good"
    assert not problems, sorted(set(problems))
