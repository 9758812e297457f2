"""Chat: messages saved in the sender's room, and a room's recent history. This module owns the `messages` collection.

Saving is batched (game_backend.batching): the messages sent while the previous
batch was being written are checked with one query (is each sender a player of
its room?) and stored with one insert, instead of two round trips each. Each
sender still gets its answer only once its own message is stored or refused.
"""

from __future__ import annotations

from typing import Any

from pymongo.errors import BulkWriteError

from ..errors import GameError
from ..identity.tokens import Identity
from ..storage.batching import Batcher
from ..storage.database import Database
from ..storage.documents import jsonable, now
from . import rooms

HISTORY_LIMIT = 50

Request = tuple[str, Identity, str]


async def save_message(db: Database, code: str, sender: Identity, text: str) -> dict[str, Any]:
    """Store `text` in room `code`, whose player the sender must be; returns the message as emitted."""
    batcher = db.batchers.get("chat")
    if batcher is None:
        batcher = db.batchers["chat"] = Batcher(lambda requests: _save_batch(db, requests))
    message: dict[str, Any] = await batcher.submit((code, sender, text))
    return message


async def _save_batch(db: Database, requests: list[Request]) -> list[dict[str, Any] | BaseException]:
    seated = await rooms.seated_in(db, sorted({code for code, _, _ in requests}))
    outcome: list[int | GameError] = []  # per request: its document's index, or why it is refused
    documents: list[dict[str, Any]] = []
    for code, sender, text in requests:
        if (code, sender.nickname) not in seated:
            outcome.append(GameError("NOT_IN_ROOM", "join a room before chatting"))
            continue
        outcome.append(len(documents))
        documents.append(
            {
                "chat": text,
                "user": {"id": sender.user_id, "nickname": sender.nickname},
                "chatroom": code,
                "createdAt": now(),
            }
        )
    failed: dict[int, BaseException] = {}
    if documents:
        try:
            await db.messages.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            failed = {write_error["index"]: error for write_error in error.details.get("writeErrors", [])}
    answers: list[dict[str, Any] | BaseException] = []
    for result in outcome:
        if isinstance(result, GameError):
            answers.append(result)
        else:
            answers.append(failed.get(result) or jsonable(documents[result]))
    return answers


async def recent_messages(db: Database, code: str, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """The last `limit` messages of a room, oldest first."""
    # Messages stored in one batch share their millisecond: their ids (made in sending order) keep them in order.
    newest = [("createdAt", -1), ("_id", -1)]
    cursor = db.messages.find({"chatroom": code}).sort(newest).limit(limit)
    newest_first: list[dict[str, Any]] = await cursor.to_list(length=None)
    return jsonable(newest_first[::-1])
