"""A running server on free ports, for this project's tests and for other projects' integration tests.

    from game_backend.testing import running_server

    async with running_server() as base_url:        # its own in-memory database
        ...                                          # talk to base_url over HTTP / Socket.IO

Pass `mongodb_uri=` (and a `database_name=`) to share one database process
between many servers, as this project's own test session does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from .app import create_app
from .config import Settings


@asynccontextmanager
async def running_server(settings: Settings | None = None, **overrides: Any) -> AsyncIterator[str]:
    """Start the app on a free 127.0.0.1 port and yield its base URL; stop it on exit."""
    settings = (settings or Settings()).replace(host="127.0.0.1", port=0, **overrides)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
