"""Socket.IO chat: a message goes to the sender's room and is stored."""

from __future__ import annotations

from ..controllers import chat
from ..validation import ChatText
from .router import Ack, EventContext, EventRouter

router = EventRouter()


@router.event("sendMessage", ChatText, chat=True)
async def send_message(ctx: EventContext, text: str) -> Ack:
    sender = ctx.connection.user
    code = ctx.connection.current_room()
    message = await chat.save_message(ctx.db, code, sender, text)
    await ctx.sio.emit("message", message, room=code)
    return {"ok": True, "message": message}
