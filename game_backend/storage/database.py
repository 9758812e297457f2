"""The database handle: one client, the collections, the indexes.

Controllers are written against the API that motor and PyMongo's own
`AsyncMongoClient` share. The few places where the two differ (how
`aggregate` and `close` are awaited) live here and nowhere else.
"""

from __future__ import annotations

import time
from typing import Any

import pymongo
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.monitoring import CommandFailedEvent, CommandListener, CommandStartedEvent, CommandSucceededEvent

from . import cancel_safe_waits
from .round_trips import RoundTripCounter

DRIVERS = ("motor", "pymongo")
DEFAULT_TIMEOUT = 3.0


class Answers(CommandListener):
    """When the database last answered a command: a request refused past its deadline tells a database that is
    down (UNAVAILABLE) from one that answers, too slowly for the moment (BUSY)."""

    def __init__(self) -> None:
        self.at = float("-inf")

    def started(self, event: CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: CommandSucceededEvent) -> None:
        self.at = time.monotonic()

    def failed(self, event: CommandFailedEvent) -> None:
        pass

    def within(self, seconds: float) -> bool:
        return time.monotonic() - self.at <= seconds


class Database:
    """One MongoDB database and the collections the game uses."""

    def __init__(self, client: Any, name: str, driver: str, answers: Answers | None = None) -> None:
        self.client = client
        self.answers = answers or Answers()
        self.driver = driver
        self.name = name
        self.db = client[name]
        self.rooms = self.db["rooms"]
        self.messages = self.db["messages"]
        self.users = self.db["users"]
        self.songs = self.db["songs"]
        self.games = self.db["games"]
        self.rankings = self.db["rankings"]
        self.processes = self.db["processes"]
        self.leases = self.db["leases"]
        self.room_events = self.db["room_events"]  # kept for connection state recovery (moves/recovery.py)
        # Request batchers (game_backend.batching) of the controllers that group their writes, by name.
        self.batchers: dict[str, Any] = {}

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def aggregate(self, collection: Any, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cursor = collection.aggregate(pipeline)
        if self.driver == "pymongo":
            cursor = await cursor
        documents: list[dict[str, Any]] = await cursor.to_list(length=None)
        return documents

    async def ensure_indexes(self) -> None:
        await self.rooms.create_indexes(
            [
                IndexModel([("code", ASCENDING)], unique=True, name="code_unique"),
                IndexModel([("players.nickname", ASCENDING)], name="player_nickname"),
                IndexModel([("players.leaveAt", ASCENDING)], sparse=True, name="held_seats"),
                IndexModel([("type", ASCENDING), ("gameState", ASCENDING), ("createdAt", ASCENDING)], name="joinable"),
                # At most one quick-match room is open to newcomers at a time (see controllers/rooms.py).
                IndexModel(
                    [("openMatch", ASCENDING)],
                    unique=True,
                    name="one_open_match",
                    partialFilterExpression={"openMatch": {"$exists": True}},
                ),
            ]
        )
        await self.messages.create_index([("chatroom", ASCENDING), ("createdAt", DESCENDING)], name="room_time")
        await self.users.create_indexes(
            [
                IndexModel([("nickname", ASCENDING)], unique=True, name="nickname_unique"),
                IndexModel([("email", ASCENDING)], unique=True, sparse=True, name="email_unique"),
                IndexModel([("sockets.process", ASCENDING)], name="socket_process"),
                IndexModel([("friends", ASCENDING)], name="friends"),
            ]
        )
        await self.songs.create_index([("number", ASCENDING)], unique=True, name="number_unique")
        await self.games.create_index([("code", ASCENDING), ("gameState", ASCENDING)], name="room_state")
        await self.rankings.create_index([("number", ASCENDING), ("totalScore", DESCENDING)], name="song_best")
        await self.room_events.create_indexes(
            [
                IndexModel([("room", ASCENDING), ("offset", ASCENDING)], name="replay"),
                IndexModel([("at", ASCENDING)], name="age"),
            ]
        )

    async def close(self) -> None:
        result = self.client.close()
        if result is not None:
            await result


def make_client(
    uri: str, driver: str = "motor", timeout: float = DEFAULT_TIMEOUT, listeners: list[Any] | None = None
) -> Any:
    """A client for `uri` with the chosen driver; it connects lazily, and every operation has `timeout` seconds.
    `listeners`: pymongo event listeners (the metrics' command timer)."""
    deadline = max(1, round(timeout * 1000))
    options: dict[str, Any] = {
        "timeoutMS": deadline,
        "serverSelectionTimeoutMS": deadline,
        "tz_aware": True,
        "event_listeners": listeners or [],
    }
    if driver == "motor":
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(uri, **options)
    if driver == "pymongo":
        cancel_safe_waits.install()
        return pymongo.AsyncMongoClient(uri, **options)
    raise ValueError(f"unknown MONGO_DRIVER {driver!r}: choose one of {', '.join(DRIVERS)}")


def connect(
    uri: str, name: str, driver: str = "motor", timeout: float = DEFAULT_TIMEOUT, listeners: list[Any] | None = None
) -> Database:
    answers = Answers()
    return Database(
        make_client(uri, driver, timeout, [answers, RoundTripCounter(), *(listeners or [])]), name, driver, answers
    )
