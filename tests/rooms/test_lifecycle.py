"""A connection's moments (moves/connections.py), each called alone against a real database: hold a seat, reclaim
it, let it expire."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from game_backend.app import create_socketio_server
from game_backend.config import Settings
from game_backend.controllers import rooms
from game_backend.identity.tokens import Identity
from game_backend.moves import connections
from game_backend.moves.world import ServerProcess, World
from game_backend.storage.database import Database
from game_backend.storage.documents import now


def world_on(db: Database) -> World:
    process = ServerProcess.start(None)
    return World(Settings(), create_socketio_server(Settings(), process), lambda: db, process)


def player(nickname: str) -> Identity:
    return Identity(user_id=f"id-{nickname}", nickname=nickname, guest=True)


async def room_of(db: Database, *nicknames: str) -> str:
    code = (await rooms.create_room(db, nicknames[0])).room["code"]
    for nickname in nicknames[1:]:
        await rooms.join_room(db, code, nickname)
    return code


async def seats(db: Database, code: str) -> list[dict]:
    room = await db.rooms.find_one({"code": code})
    return [] if room is None else room["players"]


async def test_hold_seat_keeps_it_for_the_grace_period(db: Database) -> None:
    world = world_on(db)
    code = await room_of(db, "ann", "bob")
    await connections.hold_seat(world.sio, db, code, "bob", grace_seconds=30)
    bob = (await seats(db, code))[1]
    assert bob["nickname"] == "bob" and "leaveAt" in bob


async def test_hold_seat_without_grace_gives_it_up_at_once(db: Database) -> None:
    world = world_on(db)
    code = await room_of(db, "ann", "bob")
    await connections.hold_seat(world.sio, db, code, "ann", grace_seconds=0)
    room = await db.rooms.find_one({"code": code})
    assert [p["nickname"] for p in room["players"]] == ["bob"] and room["hostName"] == "bob"


async def test_reclaim_takes_back_a_held_seat_and_an_unheld_one(db: Database) -> None:
    world = world_on(db)
    code = await room_of(db, "ann", "bob")
    await connections.hold_seat(world.sio, db, code, "bob", grace_seconds=30)
    room = await rooms.reclaim_seat(db, "bob")
    assert room is not None and room["code"] == code
    assert await connections.reclaim(world, "a-socket", player("bob"), room, None) is False  # nothing to replay
    assert all("leaveAt" not in p for p in await seats(db, code))
    assert (await rooms.reclaim_seat(db, "ann"))["code"] == code  # seated, nothing held: back all the same
    assert await rooms.reclaim_seat(db, "nobody") is None
    assert [p["nickname"] for p in await seats(db, code)] == ["ann", "bob"]


async def test_expire_releases_only_seats_whose_grace_ended_and_each_once(db: Database) -> None:
    world = world_on(db)
    code = await room_of(db, "ann", "bob", "cid")
    await connections.hold_seat(world.sio, db, code, "bob", grace_seconds=0.05)
    await connections.hold_seat(world.sio, db, code, "cid", grace_seconds=30)
    await asyncio.sleep(0.1)
    released = await asyncio.gather(connections.expire(world), connections.expire(world))
    assert sum(released) == 1  # two sweeps at once (as two processes would): bob leaves once
    assert [p["nickname"] for p in await seats(db, code)] == ["ann", "cid"]


async def test_the_expired_seats_are_the_held_ones_whose_grace_ended(db: Database) -> None:
    code = await room_of(db, "ann", "bob", "cat")
    other = await room_of(db, "dan", "eve")
    moment = now()
    await rooms.hold_seat(db, code, "bob", moment - timedelta(seconds=1))
    await rooms.hold_seat(db, code, "cat", moment + timedelta(seconds=60))
    await rooms.hold_seat(db, other, "eve", moment)
    assert sorted(await rooms.expired_seats(db, moment)) == sorted([(code, "bob"), (other, "eve")])
    assert await rooms.reclaim_seat(db, "bob") is not None  # back in time: held no longer
    assert await rooms.expired_seats(db, moment) == [(other, "eve")]
