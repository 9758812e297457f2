"""The hot path, compiled with mypyc, and its pure-Python twin: the same source, loaded one way or the other.

The modules a `hit` or a `press` passes through, from the frame read to the
writes (docs/benchmarks.md, "Where a hit's time goes"), are compiled to C
extensions by mypyc when the package is installed (setup.py; `make run` and
`make test` do it), beside their `.py` files. Python then loads the extension.
The pure-Python twin is those same `.py` files, loaded instead when:

- `GAME_BACKEND_PURE=1` is in the environment (to compare, or to rule the
  compiled code out when something looks wrong);
- the extensions were not built (no C compiler, or a wheel built without mypy);
- a source is newer than the build: an edit since the last `make` takes effect
  at once instead of being shadowed by stale extensions.

It is all or nothing: compiled modules call each other natively, so a mix
would run the old code of the modules that were not reloaded.

This module is read by setup.py on its own (without importing the package),
so it imports nothing of the project's.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
GROUP = "game_backend._hot"  # the extension holding the compiled code; each module gets a small one of its own
PURE_VARIABLE = "GAME_BACKEND_PURE"
MODULES = (
    "game_backend.transport.engineio.packets",
    "game_backend.transport.engineio.server",
    "game_backend.transport.engineio.session",
    "game_backend.transport.engineio.frames",
    "game_backend.transport.engineio.websocket",
    "game_backend.transport.socketio.packets",
    "game_backend.transport.socketio.fastjson",
    "game_backend.transport.socketio.reading",
    "game_backend.transport.socketio.delivery",
    "game_backend.edge.ratelimit",
    "game_backend.operations.tallies",
    "game_backend.realtime.connection",
    "game_backend.realtime.dispatcher",
    "game_backend.realtime.router",
    "game_backend.realtime.games",
    "game_backend.announce",
    "game_backend.text_rules",
    "game_backend.realtime.playing",
    "game_backend.judging.judge",
    "game_backend.judging.presses",
)


def source_of(module: str) -> Path:
    return PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")


def _extension_of(module: str) -> Path | None:
    """The built extension of `module`, if there is one."""
    base = PACKAGE.parent.joinpath(*module.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = base.with_name(base.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def _why_pure() -> str | None:
    """Why the pure-Python twin runs (None: the compiled hot path does)."""
    if os.environ.get(PURE_VARIABLE, "") not in ("", "0"):
        return f"{PURE_VARIABLE} is set"
    code = _extension_of(GROUP + "__mypyc")  # all the compiled code; each module's own extension only points to it
    if code is None or any(_extension_of(module) is None for module in MODULES):
        return "the compiled modules are not built"
    built_at = code.stat().st_mtime
    changed = [module for module in MODULES if source_of(module).stat().st_mtime > built_at]
    if changed:
        return f"{changed[0]} changed since the build (run make to rebuild)"
    return None


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Loads the hot path's modules from their `.py` files, even where an extension sits beside them."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MODULES:
            return None
        return importlib.util.spec_from_file_location(fullname, source_of(fullname))


WHY_PURE: str | None = None


def choose() -> None:
    """Decide, once and before any hot-path module is imported, which twin this process runs."""
    global WHY_PURE
    WHY_PURE = _why_pure()
    if WHY_PURE is not None and not any(isinstance(finder, _SourceFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())


def variant() -> str:
    """Which hot path this process runs, for its start-up log line."""
    return "compiled (mypyc)" if WHY_PURE is None else f"pure Python ({WHY_PURE})"
