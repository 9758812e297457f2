"""The process's runtime: the optional speed-ups, chosen by setting (uvloop's event loop and orjson for Socket.IO
packets), and the garbage collector's view of the started server.

Both speed-ups are declared dependencies (see docs/benchmarks.md for what
each one measured); "auto" uses each when it imports, so a platform without a
wheel still runs on the standard library.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
from types import ModuleType

from aiohttp import web

from .config import Settings

log = logging.getLogger(__name__)

CHOICES = ("auto", "asyncio", "uvloop")
JSON_CHOICES = ("auto", "json", "orjson")


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def uses_uvloop(settings: Settings) -> bool:
    if settings.event_loop not in CHOICES:
        raise ValueError(f"EVENT_LOOP is {settings.event_loop!r}; choose one of {', '.join(CHOICES)}")
    if settings.event_loop == "uvloop":
        return True
    return settings.event_loop == "auto" and _available("uvloop")


def new_event_loop(settings: Settings) -> asyncio.AbstractEventLoop:
    """The loop the server runs on: uvloop's when chosen (or "auto" and installed), asyncio's otherwise."""
    if uses_uvloop(settings):
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def packet_json(settings: Settings) -> ModuleType | None:
    """The JSON module python-socketio encodes and decodes packets with; None keeps the standard library's."""
    if settings.json_library not in JSON_CHOICES:
        raise ValueError(f"JSON_LIBRARY is {settings.json_library!r}; choose one of {', '.join(JSON_CHOICES)}")
    if settings.json_library == "orjson" or (settings.json_library == "auto" and _available("orjson")):
        from .transport.socketio import fastjson

        return fastjson
    return None


def freeze_heap_once_started(app: web.Application) -> None:
    """Once `app` has started, move every object it holds then out of the cyclic garbage collector's sight.

    A started server holds about 80,000 long-lived objects (modules, pydantic's schemas, the database driver, the
    routes), none of them garbage, and every full collection walked them all again while the event loop waited:
    about 75 ms each under a relay of `hit` at 6,000 messages a second, 15 to 20 ms with them frozen. gc.freeze()
    is CPython's answer for a long-running process whose startup heap lives as long as it does. What is
    allocated afterwards (sessions, rooms, payloads) is collected as before.
    """

    async def freeze(_: web.Application) -> None:
        gc.collect()
        gc.freeze()
        log.debug("garbage collector: %d objects of the startup heap frozen", gc.get_freeze_count())

    app.on_startup.append(freeze)
