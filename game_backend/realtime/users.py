"""The `login` event: Motion Beat's way of saying who a connection is, accepted for the connection's own player."""

from __future__ import annotations

from .. import announce
from ..validation import Nickname
from .router import Ack, EventContext, EventRouter

router = EventRouter()


@router.event("login", Nickname)
async def login(ctx: EventContext, nickname: str) -> Ack:
    """Accepted for the connection's own player (with MOTION_BEAT_COMPAT, the dispatcher has bound an anonymous
    connection to the player it names, if they signed in from its address)."""
    ctx.connection.require_self(nickname)
    # Those who care hear it: the player's friends, their room, and the caller itself.
    ctx.world.presence.changed(nickname, True, [ctx.sid, *announce.game_rooms(ctx.sio, ctx.sid)])
    return {"ok": True, "nickname": nickname}
