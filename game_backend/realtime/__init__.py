"""Socket.IO handlers: parse a payload, call a controller, hand the outcome to announce, answer with an ack."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..edge.shared_limits import SharedLimits
from ..operations.metrics import Metrics
from ..storage.database import Database
from ..transport.socketio.server import SocketServer
from . import chat, games, lifecycle, rooms, users
from .dispatcher import Dispatcher
from .recovery import RoomJournal

ROUTERS = (lifecycle.router, users.router, rooms.router, chat.router, games.router)


def attach(
    sio: SocketServer,
    settings: Settings,
    database: Callable[[], Database],
    limits: SharedLimits | None = None,
    metrics: Metrics | None = None,
) -> Dispatcher:
    """Register every handler on `sio`; `database` returns the handle once the app has started."""
    journal = None
    if settings.connection_recovery:
        journal = sio.manager.journal = RoomJournal(sio.eio.node, database, settings.reconnect_grace_seconds)
    dispatcher = Dispatcher(sio, settings, database, journal=journal, limits=limits, metrics=metrics)
    for router in ROUTERS:
        dispatcher.attach(router)
    dispatcher.answer_unknown_events()
    return dispatcher
