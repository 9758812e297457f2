"""Socket.IO handlers: parse a payload, call a controller, hand the outcome to announce, answer with an ack."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..storage.database import Database
from ..transport.socketio_server import SocketServer
from . import chat, games, lifecycle, rooms, users
from .router import Dispatcher

ROUTERS = (lifecycle.router, users.router, rooms.router, chat.router, games.router)


def attach(sio: SocketServer, settings: Settings, database: Callable[[], Database]) -> Dispatcher:
    """Register every handler on `sio`; `database` returns the handle once the app has started."""
    dispatcher = Dispatcher(sio, settings, database)
    for router in ROUTERS:
        dispatcher.attach(router)
    return dispatcher
