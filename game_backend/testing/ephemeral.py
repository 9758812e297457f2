"""`game-backend --ephemeral`: a server for another program's tests, in any language.

It serves on the given port (0: a free one) with an in-memory database,
prints one JSON line `{"url": ..., "pid": ...}` on stdout once it is serving
(nothing else goes to stdout; logs go to stderr), and exits cleanly on
SIGTERM or SIGINT, or when its stdin closes: a parent that dies closes the
pipe, so no server is left behind. Start it with stdin a pipe you keep open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable

from aiohttp import web

from ..app import create_app
from ..config import Settings

log = logging.getLogger(__name__)


async def serve_ephemeral(settings: Settings) -> None:
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        _on_stdin_closed(lambda: loop.call_soon_threadsafe(stop.set))
        print(json.dumps({"url": f"http://{host}:{port}", "pid": os.getpid()}), flush=True)
        await stop.wait()
        log.info("stopping the ephemeral server")
    finally:
        await runner.cleanup()


def _on_stdin_closed(callback: Callable[[], object]) -> None:
    """Call `callback` (from another thread) once stdin reaches its end; a daemon thread, so exit never waits."""

    stdin = sys.stdin.fileno()

    def watch() -> None:
        try:  # the file descriptor, not sys.stdin: a daemon thread must hold no lock the interpreter's exit needs
            while os.read(stdin, 65536):
                pass
        except OSError:
            pass
        callback()

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()
