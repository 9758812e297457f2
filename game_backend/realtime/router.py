"""Event dispatch: one place where every Socket.IO event is rate-limited, parsed and answered.

A handler is `async def handler(ctx, payload) -> ack | None`. It raises
GameError for a broken rule; the dispatcher turns that, a malformed payload,
an unreachable database or a bug into exactly one failed ack.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import ConnectionFailure

from ..config import Settings
from ..db import Database
from ..errors import GameError
from ..validation import parse
from .connection import Connection, Connections
from ..transport.socketio_server import SocketServer

log = logging.getLogger(__name__)

Ack = dict[str, Any]
Handler = Callable[["EventContext", Any], Awaitable[Ack | None]]

RATE_LIMITED = GameError("RATE_LIMITED", "too many events: slow down")
ANONYMOUS = GameError("NOT_AUTHENTICATED", "sign in first: connect with auth {token}")
UNAVAILABLE = GameError("UNAVAILABLE", "the database is unavailable; try again shortly")
INTERNAL = GameError("INTERNAL", "something went wrong on the server")


@dataclass
class EventContext:
    """What a handler may use: the server, the database, the settings and the calling connection."""

    sio: SocketServer
    database: Callable[[], Database]
    settings: Settings
    connections: Connections
    sid: str
    connection: Connection

    @property
    def db(self) -> Database:
        return self.database()

    @property
    def nickname(self) -> str:
        return self.connection.nickname

    async def subscribe(self, code: str) -> None:
        """Follow room `code`'s events, and stop following the previous room."""
        previous = self.connection.room
        if previous is not None and previous != code:
            await self.sio.leave_room(self.sid, previous)
            self.connection.playing = None
        await self.sio.enter_room(self.sid, code)
        self.connection.room = code

    async def unsubscribe(self, code: str) -> None:
        await self.sio.leave_room(self.sid, code)
        if self.connection.room == code:
            self.connection.room = None
        if self.connection.playing == code:
            self.connection.playing = None


@dataclass(frozen=True)
class Route:
    handler: Handler
    schema: Any
    chat: bool
    hits: bool
    inline: bool


class EventRouter:
    """Collects handlers with their payload schema; `attach` registers them on a server."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}

    def event(
        self, name: str, schema: Any = None, *, chat: bool = False, hits: bool = False, inline: bool = False
    ) -> Callable[[Handler], Handler]:
        """`chat` events also spend the chat bucket; `hits` events spend the hit bucket instead of the shared one.

        An `inline` handler never waits on I/O, so it runs in the task that read the packet (see server.py).
        """

        def register(handler: Handler) -> Handler:
            self.routes[name] = Route(handler, schema, chat, hits, inline)
            return handler

        return register


def _within_limits(connection: Connection, route: Route) -> bool:
    """Spend the event's tokens; False when it is over a limit.

    A `hit` spends only its own bucket: a round streams dozens a second, which must
    neither be refused by the shared limit nor use it up for the round's other
    events (gameEnded above all).
    """
    if route.hits:
        return connection.hits.take()
    return connection.events.take() and (not route.chat or connection.chat.take())


class Dispatcher:
    """Registers routes on a Socket.IO server and runs each event through the same checks."""

    def __init__(self, sio: SocketServer, connections: Connections, settings: Settings,
                 database: Callable[[], Database]) -> None:
        self.sio = sio
        self.connections = connections
        self.settings = settings
        self.database = database

    def attach(self, router: EventRouter) -> None:
        for name, route in router.routes.items():
            self.sio.on(name, self._dispatcher(name, route))
            if route.inline:
                self.sio.inline_events.add(name)

    def _dispatcher(self, name: str, route: Route) -> Callable[..., Awaitable[Ack | None]]:
        what = f"{name} payload"

        async def dispatch(sid: str, *args: Any) -> Ack | None:
            connection = self.connections.get(sid)
            if connection is None:
                return None
            try:
                if not _within_limits(connection, route):
                    raise RATE_LIMITED
                if connection.identity is None:
                    raise ANONYMOUS  # an anonymous connection only watches: no event of any kind
                payload = parse(route.schema, args[0] if args else None, what) if route.schema is not None else None
                ctx = EventContext(self.sio, self.database, self.settings, self.connections, sid, connection)
                return await route.handler(ctx, payload)
            except GameError as error:
                return error.ack()
            except ConnectionFailure:
                log.warning("%s from %s: the database did not answer", name, sid)
                return UNAVAILABLE.ack()
            except Exception:
                log.exception("%s from %s failed", name, sid)
                return INTERNAL.ack()

        return dispatch
