"""Socket.IO handlers: parse a payload, call a move or a controller, hand the outcome to announce, answer with an
ack."""

from __future__ import annotations

from ..moves.world import World
from . import chat, games, lifecycle, rooms, users
from .dispatcher import Dispatcher

ROUTERS = (lifecycle.router, users.router, rooms.router, chat.router, games.router)


def attach(world: World) -> Dispatcher:
    """Register every handler on the world's socket server."""
    dispatcher = Dispatcher(world)
    for router in ROUTERS:
        dispatcher.attach(router)
    dispatcher.answer_unknown_events()
    return dispatcher
