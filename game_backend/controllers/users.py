"""Users: guests and accounts, and who is online."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from ..db import Database
from ..documents import now
from ..errors import GameError
from ..tokens import Identity


async def create_guest(db: Database, nickname: str) -> Identity:
    """A guest user holding `nickname`, which nobody else may hold."""
    user = {"nickname": nickname, "guest": True, "connections": 0, "createdAt": now()}
    try:
        result = await db.users.insert_one(user)
    except DuplicateKeyError:
        raise GameError("NICKNAME_TAKEN", f"the nickname {nickname} is taken") from None
    return Identity(user_id=str(result.inserted_id), nickname=nickname, guest=True)


async def count_connection(db: Database, nickname: str, delta: int) -> bool:
    """Add `delta` to the user's open connections; returns whether the user is now online."""
    user = await db.users.find_one_and_update(
        {"nickname": nickname},
        {"$inc": {"connections": delta}},
        projection={"connections": 1},
        return_document=ReturnDocument.AFTER,
    )
    return user is not None and user["connections"] > 0
