"""Signing out: every token revoked, every seat given up (the rooms hear it), the player offline, their sockets
closed. (Signing in changes no room and tells nobody: it stays a controller call, users.create_guest and the
like, under the REST routes.)"""

from __future__ import annotations

from .. import announce
from ..controllers import users
from ..identity.tokens import Identity
from .world import World


async def sign_out(world: World, player: Identity) -> int:
    """Returns how many connections were closed."""
    sio = world.sio
    ended = await users.log_out(world.db, player)
    await announce.departures(sio, ended.departures)
    await announce.user_status(sio, player.nickname, False, [left.code for left in ended.departures])
    for sid in ended.sockets:
        await sio.disconnect(sid)
    return len(ended.sockets)
