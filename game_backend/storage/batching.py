"""Group commit: requests that arrive while one batch is in the database go together in the next.

The first request of a quiet moment is sent at once, alone, so nothing waits
for a timer; under load, what queued up during one round trip becomes the next
batch. Each caller still waits for its own request to be done (written, or
refused) before it answers, so an acknowledged write is a stored write.

A batch is written within the deadline of the earliest request in it
(deadline.py), and a request whose deadline has passed while it queued is
answered UNAVAILABLE without being written: nobody is told "unavailable"
about a write that is then stored after all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import pymongo

from .deadline import MINIMUM_SECONDS, detached, ends_at

T = TypeVar("T")
R = TypeVar("R")

# One result per request, in order: a value, or the exception that request raises.
BatchWork = Callable[[list[T]], Awaitable[list[R | BaseException]]]


class Batcher(Generic[T, R]):
    """Runs `work` on batches of at most `limit` requests, one batch at a time."""

    def __init__(self, work: BatchWork[T, R], limit: int = 256) -> None:
        self._work = work
        self._limit = limit
        self._pending: list[tuple[T, float | None, asyncio.Future[R]]] = []
        self._running: asyncio.Task[None] | None = None

    async def submit(self, request: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((request, ends_at(), future))
        if self._running is None or self._running.done():
            self._running = detached(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            queued, self._pending = self._pending[: self._limit], self._pending[self._limit :]
            moment = time.monotonic()
            batch = []
            for request, ends, future in queued:
                if ends is not None and ends <= moment:
                    if not future.done():
                        future.set_exception(TimeoutError("its deadline passed while it waited for a batch"))
                else:
                    batch.append((request, ends, future))
            if not batch:
                continue
            deadlines = [ends for _, ends, _ in batch if ends is not None]
            try:
                with pymongo.timeout(max(min(deadlines) - moment, MINIMUM_SECONDS) if deadlines else None):
                    results = await self._work([request for request, _, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"a batch of {len(batch)} requests gave {len(results)} results")
            except Exception as error:  # the whole batch failed: each caller sees why
                results = [error] * len(batch)
            for (_, _, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue  # its caller was cancelled
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
