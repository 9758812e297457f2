"""Taking and leaving a seat, by socket event or REST route alike."""

from __future__ import annotations

from .. import announce
from ..controllers import rooms, users
from ..identity.tokens import Identity
from .world import World


async def seat(world: World, player: Identity, taken: rooms.Seat) -> None:
    """A seat the player took over REST: the rooms they left hear it, and their open sockets follow the new room."""
    await announce.seated(world.sio, await users.sockets_of(world.db, player), taken)


async def leave(world: World, player: Identity, code: str) -> None:
    """The player gives up their seat in room `code` (and their place in its round): the room hears it, and
    none of their sockets follows the room any more."""
    left = await rooms.leave_room(world.db, code, player.nickname)
    await announce.follow(world.sio, await users.sockets_of(world.db, player), None, [code])
    await announce.departure(world.sio, left)
