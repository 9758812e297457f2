"""Races across processes: a player sits in at most one room, and quick match fills rooms before opening new ones.

Two real server processes share one database (seat rules live in it, so
Redis is not needed to see them hold); requests race on both at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from game_backend.storage.database import Database
from game_backend.testing import Player, guest_token, rest

from ..dbstate import inspected
from ..servers import ServerProcess

TRIES = 20
MATCHERS = 40


@pytest.fixture
async def two(mongodb_uri: str, database_name: str) -> AsyncIterator[tuple[ServerProcess, ServerProcess, Database]]:
    # A generous deadline: these tests are about who wins a race, not how fast the embedded database is under
    # forty requests at once on a busy machine (past DATABASE_TIMEOUT a request is answered 503).
    env = {"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": database_name, "DATABASE_TIMEOUT": "15"}
    first, second = ServerProcess(env), ServerProcess(env)
    await asyncio.gather(first.start(), second.start())
    async with inspected(mongodb_uri, database_name) as db:
        try:
            yield first, second, db
        finally:
            first.stop()
            second.stop()


async def test_two_racing_joins_on_two_processes_leave_the_player_in_one_room(
    two: tuple[ServerProcess, ServerProcess, Database],
) -> None:
    first, second, db = two
    racer = Player("racer", await guest_token(first.url, "racer"))
    await racer.connect(first.url, "websocket")
    try:
        for attempt in range(TRIES):
            hosts = [await guest_token(first.url, f"h{attempt}a"), await guest_token(second.url, f"h{attempt}b")]
            codes = [(await rest(first.url, "POST", "/api/rooms/create", token, {}))[1]["code"] for token in hosts]
            by_socket, (by_rest, _) = await asyncio.gather(
                racer.call("joinRoom", {"nickname": "racer", "code": codes[0]}),
                rest(second.url, "PATCH", f"/api/rooms/join/{codes[1]}", racer.token),
            )
            assert by_socket["ok"] and by_rest == 200, (attempt, by_socket, by_rest)
            seated_in = await db.rooms.distinct("code", {"players.nickname": "racer"})
            assert len(seated_in) == 1 and seated_in[0] in codes, (attempt, seated_in)
    finally:
        await racer.client.disconnect()


async def test_simultaneous_quick_matches_fill_rooms_before_opening_new_ones(
    two: tuple[ServerProcess, ServerProcess, Database],
) -> None:
    first, second, db = two
    tokens = [await guest_token(first.url, f"m{n}") for n in range(MATCHERS)]
    answers = await asyncio.gather(*(
        rest((first if n % 2 else second).url, "POST", "/api/rooms/match", token) for n, token in enumerate(tokens)))
    assert all(status == 200 for status, _ in answers), answers
    rooms = await db.rooms.find({"type": "match"}).to_list(None)
    assert sorted(len(room["players"]) for room in rooms) == [4] * (MATCHERS // 4), [
        (room["code"], [p["nickname"] for p in room["players"]]) for room in rooms]
