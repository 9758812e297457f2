"""Typed keys for what the aiohttp application holds: one of each, built in app.py."""

from __future__ import annotations

from aiohttp import web

from .config import Settings
from .moves.world import World
from .operations.metrics import Metrics
from .storage.database import Database

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
WORLD = web.AppKey("world", World)  # what the moves act on (moves/world.py)

METRICS = web.AppKey("metrics", Metrics)  # only with METRICS on
