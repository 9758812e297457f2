"""Taking and leaving a seat, by socket event or REST route alike."""

from __future__ import annotations

from .. import announce
from ..controllers import rooms, users
from ..identity.tokens import Identity
from ..storage.database import Database
from ..transport.socketio.server import SocketServer


async def seat(sio: SocketServer, db: Database, player: Identity, taken: rooms.Seat) -> None:
    """A seat the player took over REST: the rooms they left hear it, and their open sockets follow the new room."""
    await announce.seated(sio, await users.sockets_of(db, player), taken)


async def leave(sio: SocketServer, db: Database, player: Identity, code: str) -> None:
    """The player gives up their seat in room `code` (and their place in its round): the room hears it, and
    none of their sockets follows the room any more."""
    left = await rooms.leave_room(db, code, player.nickname)
    await announce.follow(sio, await users.sockets_of(db, player), None, [code])
    await announce.departure(sio, left)
