"""A running server on a free port, for this project's tests and for other projects' integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from ..app import create_app
from ..config import Settings

# Fast and repeatable, and refused by PRODUCTION: the cheapest bcrypt, a short countdown before a round. The
# pytest plugin's servers and `game-backend --ephemeral` use them unless told otherwise.
TEST_SETTINGS: dict[str, Any] = {"bcrypt_rounds": 4, "start_lead_seconds": 0.5}


@asynccontextmanager
async def running_server(settings: Settings | None = None, **overrides: Any) -> AsyncIterator[str]:
    """Start the app on a free 127.0.0.1 port and yield its base URL; stop it on exit.

    Without `mongodb_uri` it starts its own in-memory database; pass `mongodb_uri=` and `database_name=` to
    share one database process between many servers, as this project's own test session does. `overrides`
    name settings by field (`hit_rate=5`) or by variable, as the README's table does (`HIT_RATE="5"`).
    """
    settings = (settings or Settings()).with_values({**overrides, "host": "127.0.0.1", "port": 0})
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
