"""game_backend: a Socket.IO-compatible backend for multiplayer web games."""

from . import compiled

compiled.choose()  # before anything imports the hot path: compiled, or its pure-Python twin (compiled.py)

from .app import create_app  # noqa: E402
from .config import Settings  # noqa: E402

__all__ = ["Settings", "create_app"]
