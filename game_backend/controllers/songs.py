"""The song catalogue, seeded from game_backend/data/songs.json, with a note chart for every instrument.

Song 0 is the tutorial. A chart is made from the song's tempo, the same every
time: each of the four instruments (drum1 to drum4, Motion Beat's) plays on
beats of its own in each four-beat bar, more of them the harder the song, and
its motions alternate between "A" and "B" bar by bar. A note is
`{time (ms from the song's start), instrument, motion}`. Audio files are the
client's own (Motion Beat's plays `/song/<number>.mp3` and shows
`/thumbnail/<imagePath>`). This module owns the `songs` collection.
"""

from __future__ import annotations

import functools
import json
import random
from importlib import resources
from typing import Any

from pymongo import UpdateOne

from ..errors import GameError
from ..judging.judge import Part
from ..storage.database import Database

TUTORIAL = 0
INSTRUMENTS = ("drum1", "drum2", "drum3", "drum4")
LEAD_IN_MS = 3000
TAIL_MS = 2000
# Which beats of a four-beat bar each instrument plays, by difficulty.
PATTERNS = {
    "easy": ((1, 0, 0, 0), (0, 0, 1, 0), (0, 1, 0, 0), (0, 0, 0, 1)),
    "normal": ((1, 0, 1, 0), (0, 1, 0, 1), (1, 0, 0, 1), (0, 1, 1, 0)),
    "hard": ((1, 1, 0, 1), (0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 1, 0)),
}
SUMMARY_FIELDS = {
    "_id": 0,
    "number": 1,
    "title": 1,
    "artist": 1,
    "difficulty": 1,
    "bpm": 1,
    "runtime": 1,
    "imagePath": 1,
}
SONG_FIELDS = {**SUMMARY_FIELDS, "notes": 1}


# The instruments, as Motion Beat's client lists them (`GET /api/instruments`) and names their two motions.
INSTRUMENT_NAMES = {"drum1": "KICK & CRASH", "drum2": "HIT & SNARE", "drum3": "HAT & TOM", "drum4": "BASS"}


def instruments() -> list[dict[str, str]]:
    return [
        {"id": name, "instrumentName": name, "displayName": shown, "motion1": "A", "motion2": "B", "motion3": "A"}
        for name, shown in INSTRUMENT_NAMES.items()
    ]


def catalogue() -> list[dict[str, Any]]:
    """The songs as published: each with its image path and note chart."""
    songs = json.loads(resources.files("game_backend").joinpath("data/songs.json").read_text(encoding="utf-8"))
    return [{**song, "imagePath": f"{song['number']}.jpg", "notes": chart(song)} for song in songs]


@functools.cache
def _published() -> dict[int, dict[str, Any]]:
    return {song["number"]: song for song in catalogue()}


@functools.lru_cache(maxsize=256)  # the parts being played, shared by their players (instrument names are free text)
def part(number: int, instrument: str) -> Part:
    """A player's part of song `number` (the catalogue is what `seed` publishes, so no database read)."""
    song = _published().get(number)
    if song is None:
        raise GameError("NOT_FOUND", f"there is no song number {number}")
    return Part.of(song["notes"], instrument, song["runtime"] * 1000)


def chart(song: dict[str, Any]) -> list[dict[str, Any]]:
    """The note chart of `song`, from its tempo and difficulty (the tutorial: drum1 alone, every other beat)."""
    beat_ms = 60_000 / song["bpm"]
    beats = int((song["runtime"] * 1000 - LEAD_IN_MS - TAIL_MS) / beat_ms)
    notes = []
    for beat in range(beats):
        time = round(LEAD_IN_MS + beat * beat_ms)
        if song["number"] == TUTORIAL:
            if beat % 2 == 0:
                notes.append({"time": time, "instrument": INSTRUMENTS[0], "motion": "AB"[beat // 2 % 2]})
            continue
        for index, instrument in enumerate(INSTRUMENTS):
            if PATTERNS[song["difficulty"]][index][beat % 4]:
                notes.append({"time": time, "instrument": instrument, "motion": "AB"[(beat // 4 + index) % 2]})
    return notes


async def seed(db: Database) -> None:
    """Insert or refresh every song of the catalogue, and drop any other (idempotent, safe with several processes)."""
    songs = catalogue()
    await db.songs.bulk_write([UpdateOne({"number": song["number"]}, {"$set": song}, upsert=True) for song in songs])
    await db.songs.delete_many({"number": {"$nin": [song["number"] for song in songs]}})


async def list_songs(
    db: Database, favorites: list[int] | None = None, difficulty: str | None = None, numbers: list[int] | None = None
) -> list[dict[str, Any]]:
    """Songs without their charts, in order; `favorite` says whether each is among `favorites`."""
    query: dict[str, Any] = {}
    if difficulty is not None:
        query["difficulty"] = difficulty
    if numbers is not None:
        query["number"] = {"$in": numbers}
    songs = await db.songs.find(query, SUMMARY_FIELDS).sort("number", 1).to_list(length=None)
    liked = set(favorites or ())
    return [{**song, "favorite": song["number"] in liked} for song in songs]


async def get_song(db: Database, number: int) -> dict[str, Any]:
    song: dict[str, Any] | None = await db.songs.find_one({"number": number}, SONG_FIELDS)
    if song is None:
        raise GameError("NOT_FOUND", f"there is no song number {number}")
    return song


async def number_titled(db: Database, title: str) -> int:
    song = await db.songs.find_one({"title": title}, {"_id": 0, "number": 1})
    if song is None:
        raise GameError("NOT_FOUND", f"there is no song titled {title!r}")
    number: int = song["number"]
    return number


async def random_song_number(db: Database) -> int:
    """A song for a new room: any but the tutorial."""
    numbers: list[int] = [number for number in await db.songs.distinct("number") if number != TUTORIAL]
    if not numbers:
        raise GameError("INTERNAL", "the song catalogue is empty")
    return random.choice(numbers)
