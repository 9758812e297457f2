"""game_backend: a Socket.IO-compatible backend for multiplayer web games."""

from .app import create_app
from .config import Settings

__all__ = ["Settings", "create_app"]
