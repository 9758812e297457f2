"""What survives a database outage: the database process is stopped (SIGSTOP) and later continued.

While it is stopped, every event is answered UNAVAILABLE and every REST call
503 within DATABASE_TIMEOUT, long before the database is back; a player who
disconnects meanwhile is released once it is back (the departure is retried);
and the server carries on by itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from game_backend.storage.embedded import EmbeddedDatabase
from game_backend.testing import Player, guest_token, rest

from .servers import ServerProcess

TIMEOUT = 1.0


@pytest.fixture
async def stoppable() -> AsyncIterator[EmbeddedDatabase]:
    """A database of this test's own, so that stopping it stops nobody else's."""
    database = EmbeddedDatabase()
    database.start()
    try:
        yield database
    finally:
        os.kill(database._process.pid, signal.SIGCONT)  # noqa: SLF001 (the test's own child)
        database.stop()


async def stop(pid: int) -> None:
    """SIGSTOP, and wait until every thread of the process is stopped: the signal takes effect a moment after
    kill() returns, and a request sent in that moment would still be answered."""
    os.kill(pid, signal.SIGSTOP)
    while any(_state(task) != "T" for task in Path(f"/proc/{pid}/task").iterdir()):
        await asyncio.sleep(0.01)


def _state(task: Path) -> str:
    return (task / "stat").read_text().rsplit(")", 1)[1].split()[0]


async def test_while_the_database_is_stopped_answers_come_fast_and_nothing_is_lost(
    stoppable: EmbeddedDatabase,
) -> None:
    server = await ServerProcess({"MONGODB_URI": stoppable.uri, "DATABASE_TIMEOUT": str(TIMEOUT),
                                  "RECONNECT_GRACE_SECONDS": "0", "PROCESS_LEASE_SECONDS": "3"}).start()
    pid = stoppable._process.pid  # noqa: SLF001
    ann = Player("ann", await guest_token(server.url, "ann"))
    bob = Player("bob", await guest_token(server.url, "bob"))
    try:
        for player in (ann, bob):
            await player.connect(server.url, "websocket")
        _, room = await rest(server.url, "POST", "/api/rooms/create", ann.token, {})
        code = room["code"]
        for player in (ann, bob):
            assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"]

        await stop(pid)
        try:  # everything in this block is answered while the database is stopped
            ack = await ann.call("ready")
            assert ack["ok"] is False and ack["code"] == "UNAVAILABLE", ack
            status, body = await rest(server.url, "GET", "/api/rooms")
            assert (status, body["code"]) == (503, "UNAVAILABLE")
            status, body = await rest(server.url, "GET", "/api/users/me", ann.token)
            assert (status, body["code"]) == (503, "UNAVAILABLE")
            await bob.client.disconnect()  # a departure the database cannot take now
            await asyncio.sleep(TIMEOUT * 2)  # the departure's first attempt times out
        finally:
            os.kill(pid, signal.SIGCONT)

        left = await ann.wait_for(f"leftRoom{code}", timeout=15)
        assert [p["nickname"] for p in left[0]] == ["ann"]
        ack = await ann.call("ready")
        assert ack["ok"] is True, ack
        status, _ = await rest(server.url, "GET", "/api/rooms")
        assert status == 200
    finally:
        for player in (ann, bob):
            if player.client.connected:
                await player.client.disconnect()
        server.stop()
