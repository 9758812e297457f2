"""Chat messages sent at the same moment are stored in batches, each answered on its own."""

from __future__ import annotations

import asyncio

from game_backend.controllers import chat
from game_backend.errors import GameError
from game_backend.storage.batching import Batcher
from game_backend.storage.database import Database

from ..rooms.test_controllers import me, room_with


async def test_simultaneous_messages_are_all_stored_and_strangers_refused_in_the_same_batches(db: Database) -> None:
    first = await room_with(db, "alice", "bob")
    second = await room_with(db, "carol", "dave")
    senders = [(first, "alice"), (first, "bob"), (second, "carol"), (second, "dave"), (first, "carol")]
    results = await asyncio.gather(
        *(chat.save_message(db, code, me(nickname), f"{nickname} {i}") for i in range(20) for code, nickname in senders),
        return_exceptions=True,
    )
    refused = [result for result in results if isinstance(result, GameError)]
    stored = [result for result in results if isinstance(result, dict)]
    assert len(refused) == 20 and {error.code for error in refused} == {"NOT_IN_ROOM"}  # carol is not in the first room
    assert len(stored) == 80 and len({message["_id"] for message in stored}) == 80
    assert await db.messages.count_documents({"chatroom": first}) == 40
    assert await db.messages.count_documents({"chatroom": second}) == 40
    assert await db.messages.count_documents({"user.nickname": "carol", "chatroom": first}) == 0
    history = await chat.recent_messages(db, first)
    assert [m["chat"] for m in history if m["user"]["nickname"] == "alice"] == [f"alice {i}" for i in range(20)]


async def test_a_batcher_groups_what_arrives_while_a_batch_is_in_flight_and_reports_failures_per_request() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def work(requests: list[int]) -> list[int | BaseException]:
        batches.append(requests)
        if len(batches) == 1:
            await release.wait()
        return [ValueError(n) if n % 5 == 0 else n * 10 for n in requests]

    batcher: Batcher[int, int] = Batcher(work)
    calls = [asyncio.create_task(batcher.submit(1))]
    while not batches:  # the first batch is in flight, alone
        await asyncio.sleep(0)
    calls += [asyncio.create_task(batcher.submit(n)) for n in range(2, 11)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert batches == [[1], list(range(2, 11))]
    assert [r if isinstance(r, int) else "error" for r in results] == [10, 20, 30, 40, "error", 60, 70, 80, 90, "error"]


async def test_a_batch_that_fails_as_a_whole_fails_each_of_its_requests() -> None:
    async def work(requests: list[int]) -> list[int | BaseException]:
        raise ConnectionError("the database went away")

    batcher: Batcher[int, int] = Batcher(work)
    results = await asyncio.gather(*(batcher.submit(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in results)
