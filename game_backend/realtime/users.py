"""The `login` event: Motion Beat's way of saying who a connection is, accepted for the connection's own player."""

from __future__ import annotations

from .. import announce
from ..validation import Nickname
from .router import Ack, EventContext, EventRouter

router = EventRouter()


@router.event("login", Nickname)
async def login(ctx: EventContext, nickname: str) -> Ack:
    ctx.connection.require_self(nickname)
    await announce.user_status(ctx.sio, nickname, True)
    return {"ok": True, "nickname": nickname}
