"""Socket.IO handlers: parse a payload, call a controller, emit to the room, answer with an ack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..config import Settings
from ..db import Database
from . import chat, games, rooms, users
from .connection import Connections
from .router import Dispatcher
from ..transport.socketio_server import SocketServer

ROUTERS = (users.router, rooms.router, chat.router, games.router)


def attach(
    sio: SocketServer, settings: Settings, database: Callable[[], Database]
) -> Callable[[], Awaitable[None]]:
    """Register every event handler on `sio`; `database` returns the handle once the app has started.

    Returns the coroutine function to await on shutdown, before the database closes.
    """
    dispatcher = Dispatcher(sio, Connections(), settings, database)
    depart_everyone = users.attach_lifecycle(dispatcher)
    for router in ROUTERS:
        dispatcher.attach(router)
    return depart_everyone
