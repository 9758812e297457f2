"""Several server processes sharing one Redis and one database, for the tests of scale-out.

Each test gets a Redis channel prefix of its own (`prefix`), so that the tests
running beside it on the same Redis do not hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .redis_servers import REDIS_URL, require_redis
from .servers import ServerProcess


def cluster_env(mongodb_uri: str, database_name: str, redis_url: str, prefix: str) -> dict[str, str]:
    return {"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": database_name, "REDIS_URL": redis_url,
            "REDIS_CHANNEL": prefix, "RECONNECT_GRACE_SECONDS": "0"}


@contextlib.asynccontextmanager
async def processes(env: dict[str, str], names: list[str],
                    logs: Path | None = None) -> AsyncIterator[list[ServerProcess]]:
    started = [ServerProcess({**env, "NODE_ID": name}, log=logs / f"{name}.log" if logs else None) for name in names]
    try:
        await asyncio.gather(*(server.start() for server in started))
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def prefix() -> str:
    return f"test{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def two_servers(mongodb_uri: str, database_name: str, prefix: str) -> AsyncIterator[list[str]]:
    require_redis()
    async with processes(cluster_env(mongodb_uri, database_name, REDIS_URL, prefix), ["a", "b"]) as started:
        yield [server.url for server in started]
