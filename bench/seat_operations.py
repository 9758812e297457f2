"""The embedded database alone, outside the server: what a seat's operations cost it, and how many seats a
second it can take at most.

    python bench/seat_operations.py [--players 3000] [--concurrency 50]

1. Each operation of the seat path, timed one at a time, with 300, 1,000 and 3,000 rooms in the collection:
   what grows with the population (a findAndModify: SecantusDB scans for it) and what does not.
2. The commands the server sends to seat one player (sign-in, REST create or join, connect, joinRoom; counted
   by the server in /metrics as game_request_database_commands_total), replayed by `--concurrency` players
   at a time straight to the database with PyMongo's async client, with no server in between: the ceiling
   the database puts on seating, to set beside `make bench`'s "players seated per second".
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import ReturnDocument

from game_backend.storage.database import Database, connect
from game_backend.storage.embedded import EmbeddedDatabase

POPULATIONS = (300, 1000, 3000)
TIMED = 200  # operations per figure


def room(number: int) -> dict[str, Any]:
    return {"code": f"R{number:05d}", "type": "codeGame", "hostName": f"h{number}", "song": 1,
            "players": [{"nickname": f"h{number}", "instrument": "select", "isReady": True}],
            "gameState": "waiting", "createdAt": number}


async def per_operation(db: Database) -> None:
    operations: dict[str, Callable[[int], Awaitable[Any]]] = {
        "find_one by code": lambda n: db.rooms.find_one({"code": f"R{n:05d}"}),
        "find_one by players.nickname": lambda n: db.rooms.find_one({"players.nickname": f"h{n}"}),
        "update_one by code": lambda n: db.rooms.update_one({"code": f"R{n:05d}"}, {"$set": {"touched": n}}),
        "find_one_and_update by code": lambda n: db.rooms.find_one_and_update(
            {"code": f"R{n:05d}"}, {"$set": {"touched": n}}, return_document=ReturnDocument.AFTER),
        "distinct code by players.nickname": lambda n: db.rooms.distinct("code", {"players.nickname": f"h{n}"}),
        "insert_one (a lease)": lambda n: db.leases.insert_one({"_id": f"lease{n}:{time.monotonic_ns()}"}),
    }
    present = 0
    print("ms per operation, one at a time:")
    print(f"  {'operation':36s}" + "".join(f"{f'{size:,} rooms':>13s}" for size in POPULATIONS))
    figures: dict[str, list[float]] = {name: [] for name in operations}
    for size in POPULATIONS:
        await db.rooms.insert_many([room(number) for number in range(present, size)])
        present = size
        for name, operation in operations.items():
            started = time.perf_counter()
            for n in range(TIMED):
                await operation(n)
            figures[name].append(1000 * (time.perf_counter() - started) / TIMED)
    for name, values in figures.items():
        print(f"  {name:36s}" + "".join(f"{value:13.2f}" for value in values))


async def seat(db: Database, n: int) -> None:
    """The 13 commands the server sends to seat player `n` (the first of each four creates the room)."""
    nickname, code = f"p{n}", f"S{n // 4:05d}"
    await db.users.insert_one({"nickname": nickname, "guest": True, "sockets": [], "signins": []})  # guest sign-in
    await db.users.find_one({"nickname": nickname}, {"_id": 1})  # REST: the token is checked
    await db.leases.insert_one({"_id": f"seat:{nickname}"})
    if n % 4 == 0:
        await db.songs.distinct("number")
        await db.rooms.insert_one({**room(0), "code": code, "hostName": nickname,
                                   "players": [{"nickname": nickname, "instrument": "select", "isReady": True}]})
    else:
        while not (await db.rooms.update_one({"code": code}, {"$push": {"players": {
                "nickname": nickname, "instrument": "select", "isReady": False}}})).matched_count:
            await asyncio.sleep(0.01)  # the room's first player has not created it yet
        await db.rooms.find_one({"code": code})
    await db.rooms.distinct("code", {"players.nickname": nickname})
    await db.leases.delete_one({"_id": f"seat:{nickname}"})
    await db.users.find_one({"nickname": nickname}, {"sockets": 1})
    await asyncio.gather(  # connect
        db.users.update_one({"nickname": nickname}, {"$push": {"sockets": {"sid": f"s{n}", "process": "p"}}}),
        db.users.find_one({"nickname": nickname}, {"friends": 1}),
        db.rooms.find_one({"players.nickname": nickname}))
    await db.rooms.find_one({"code": code, "players.nickname": nickname})  # joinRoom
    await db.messages.find({"chatroom": code}).sort([("createdAt", -1)]).limit(50).to_list(None)


async def seating(db: Database, players: int, concurrency: int) -> None:
    pending = iter(range(players))

    async def player() -> None:
        for n in pending:
            await seat(db, n)

    started = time.perf_counter()
    await asyncio.gather(*(player() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    print(f"\n{players:,} seats replayed straight to the database, {concurrency} at a time: {seconds:.1f} s, "
          f"{players / seconds:.0f} seats/s, {1000 * seconds / players:.1f} ms a seat")


async def main(players: int, concurrency: int) -> None:
    with EmbeddedDatabase() as database:
        db = connect(database.uri, "seat_operations", "pymongo", timeout=60)
        await db.ensure_indexes()
        await per_operation(db)
        await seating(db, players, concurrency)
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.players, arguments.concurrency))
