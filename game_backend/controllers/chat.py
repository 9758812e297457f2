"""Chat: messages saved in the sender's room, and a room's recent history."""

from __future__ import annotations

from typing import Any

from ..db import Database
from ..documents import jsonable, now
from ..errors import GameError
from ..tokens import Identity

HISTORY_LIMIT = 50


async def save_message(db: Database, code: str, sender: Identity, text: str) -> dict[str, Any]:
    """Store `text` in room `code`, whose player the sender must be; returns the message as emitted."""
    if await db.rooms.find_one({"code": code, "players.nickname": sender.nickname}, {"_id": 1}) is None:
        raise GameError("NOT_IN_ROOM", "join a room before chatting")
    message = {
        "chat": text,
        "user": {"id": sender.user_id, "nickname": sender.nickname},
        "chatroom": code,
        "createdAt": now(),
    }
    await db.messages.insert_one(message)
    return jsonable(message)


async def recent_messages(db: Database, code: str, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The last `limit` messages of a room, oldest first."""
    newest_first = await db.messages.find({"chatroom": code}).sort("createdAt", -1).limit(limit).to_list(length=None)
    return jsonable(newest_first[::-1])
