"""The song catalogue, seeded from game_backend/data/songs.json."""

from __future__ import annotations

import json
import random
from importlib import resources
from typing import Any

from pymongo import UpdateOne

from ..errors import GameError
from ..storage.database import Database

SONG_FIELDS = {"_id": 0, "number": 1, "title": 1, "artist": 1, "difficulty": 1, "bpm": 1, "runtime": 1}


def catalogue() -> list[dict[str, Any]]:
    return json.loads(resources.files("game_backend").joinpath("data/songs.json").read_text(encoding="utf-8"))


async def seed(db: Database) -> None:
    """Insert or refresh every song of the catalogue (idempotent, safe with several processes)."""
    await db.songs.bulk_write(
        [UpdateOne({"number": song["number"]}, {"$set": song}, upsert=True) for song in catalogue()]
    )


async def list_songs(db: Database) -> list[dict[str, Any]]:
    return await db.songs.find({}, SONG_FIELDS).sort("number", 1).to_list(length=None)


async def get_song(db: Database, number: int) -> dict[str, Any]:
    song = await db.songs.find_one({"number": number}, SONG_FIELDS)
    if song is None:
        raise GameError("NOT_FOUND", f"there is no song number {number}")
    return song


async def random_song_number(db: Database) -> int:
    numbers = await db.songs.distinct("number")
    if not numbers:
        raise GameError("INTERNAL", "the song catalogue is empty")
    return random.choice(numbers)
