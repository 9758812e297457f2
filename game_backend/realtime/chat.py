"""Socket.IO chat: a message goes to the sender's room and is stored."""

from __future__ import annotations

from .. import announce
from ..controllers import chat
from ..validation import ChatText
from .router import Ack, EventContext, EventRouter

router = EventRouter()


@router.event("sendMessage", ChatText, chat=True)
async def send_message(ctx: EventContext, text: str) -> Ack:
    message = await chat.save_message(ctx.db, ctx.room(), ctx.connection.user, text)
    await announce.chat_message(ctx.sio, message)
    return {"ok": True, "message": message}
