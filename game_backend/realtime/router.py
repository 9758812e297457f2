"""How Socket.IO handlers are declared: `@router.event(name, Schema)` on `async def handler(ctx, payload) -> ack`.

A handler raises GameError for a broken rule; the dispatcher (dispatcher.py)
turns that, a malformed payload, an unreachable database or a bug into exactly
one failed ack. A connection's moments, connect and disconnect, are registered
the same way (`@router.connect`, `@router.disconnect`), so every handler is
found by the same search. `EventContext` is what a handler may use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import announce
from ..config import Settings
from ..controllers import users
from ..errors import GameError, not_in_room
from ..moves.world import World
from ..storage.database import Database
from ..transport.socketio.server import SocketServer
from .connection import Connection

if TYPE_CHECKING:
    from .dispatcher import Dispatcher

Ack = dict[str, Any]
Handler = Callable[["EventContext", Any], Awaitable[Ack | None]]
# A connect handler may return more fields for the client's CONNECT packet.
ConnectHandler = Callable[["Dispatcher", str, Mapping[str, Any], Any], Awaitable[dict[str, Any] | None]]
DisconnectHandler = Callable[["Dispatcher", str, Any], Awaitable[None]]


class EventContext:
    """What a handler may use: the world the moves act on, and the caller.

    A plain class rather than a dataclass: one is made per event, and mypyc compiles this __init__ but not a
    dataclass's generated one."""

    __slots__ = ("world", "sid", "connection")

    def __init__(self, world: World, sid: str, connection: Connection) -> None:
        self.world = world
        self.sid = sid
        self.connection = connection

    @property
    def sio(self) -> SocketServer:
        return self.world.sio

    @property
    def db(self) -> Database:
        return self.world.db

    @property
    def settings(self) -> Settings:
        return self.world.settings

    @property
    def nickname(self) -> str:
        return self.connection.nickname

    def room(self) -> str:
        """The room this socket follows (the one its player is seated in), or NOT_IN_ROOM."""
        code = announce.followed_room(self.sio, self.sid)
        if code is None:
            raise GameError("NOT_IN_ROOM", "join a room first")
        return code

    def own_room(self, nickname: str, code: str) -> str:
        """A payload acting as `nickname` in room `code` must be the connection's own player, in its own room."""
        self.connection.require_self(nickname)
        if not announce.follows(self.sio, self.sid, code):
            raise not_in_room(code)
        return code

    async def sockets(self) -> list[str]:
        """Every open socket of the calling player (on any process): they all follow the player's seat."""
        return await users.sockets_of(self.db, self.connection.user)


@dataclass(frozen=True)
class Route:
    handler: Handler
    schema: Any
    chat: bool
    hits: bool
    inline: bool


class EventRouter:
    """Collects handlers with their payload schema; `Dispatcher.attach` registers them on a server."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.on_connect: ConnectHandler | None = None
        self.on_disconnect: DisconnectHandler | None = None

    def event(
        self, name: str, schema: Any = None, *, chat: bool = False, hits: bool = False, inline: bool = False
    ) -> Callable[[Handler], Handler]:
        """`chat` events also spend the chat bucket; `hits` events spend the hit bucket instead of the shared one.

        An `inline` handler never waits on I/O, so it runs in the task that read the packet (see transport/).
        """

        def register(handler: Handler) -> Handler:
            self.routes[name] = Route(handler, schema, chat, hits, inline)
            return handler

        return register

    def connect(self, handler: ConnectHandler) -> ConnectHandler:
        self.on_connect = handler
        return handler

    def disconnect(self, handler: DisconnectHandler) -> DisconnectHandler:
        self.on_disconnect = handler
        return handler
