"""Typed keys for what the aiohttp application holds: one of each, built in app.py."""

from __future__ import annotations

import socketio
from aiohttp import web

from .config import Settings
from .operations.metrics import Metrics
from .storage.database import Database

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
SIO = web.AppKey("sio", socketio.AsyncServer)

METRICS = web.AppKey("metrics", Metrics)  # only with METRICS on
