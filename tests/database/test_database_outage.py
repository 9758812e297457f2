"""What survives a database outage: the database process is stopped (SIGSTOP) or killed, and later back.

Through both drivers (motor, and PyMongo's own async client):

- every event is answered UNAVAILABLE and every REST call 503 by the deadline, however many wait at once
  (motor's thread pool is cut to 2 threads, so calls queue for a thread as under load);
- every connection is answered: a CONNECT_ERROR with its code, never silence;
- a player who disconnects meanwhile is released once the database is back (the departure is retried),
  and a refused connection's record, applied late by the database, is laid to rest;
- no server takes itself, or another live one, for dead because the database stalled longer than a lease;
- a killed database, back on its address, is served again by the same process, calls cut off by their deadline
  while it was gone notwithstanding.

The figures (the slowest answer) go to tests/artifacts/database_outage.json.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from game_backend.storage.embedded import EmbeddedDatabase
from game_backend.testing import Player, guest_token, rest

from ..dbstate import inspected
from ..figures import record_figure
from ..servers import ServerProcess

TIMEOUT = 1.0
ANSWERED_WITHIN = TIMEOUT + 2.0  # the clients' own patience: a deadline that does not hold fails the test
LEASE = 1.5

pytestmark = pytest.mark.parametrize("driver", ["motor", "pymongo"])


@pytest.fixture
async def stoppable() -> AsyncIterator[EmbeddedDatabase]:
    """A database of this test's own, so that stopping it stops nobody else's."""
    database = EmbeddedDatabase()
    database.start()
    try:
        yield database
    finally:
        if database._process is not None and database._process.poll() is None:  # noqa: SLF001 (the test's own child)
            os.kill(database._process.pid, signal.SIGCONT)  # noqa: SLF001
        database.stop()


def env(database: EmbeddedDatabase, driver: str, **more: str) -> dict[str, str]:
    return {"MONGODB_URI": database.uri, "MONGO_DRIVER": driver, "DATABASE_TIMEOUT": str(TIMEOUT),
            "ARRIVAL_TIMEOUT": str(TIMEOUT),
            "MOTOR_MAX_WORKERS": "2", "PROCESS_LEASE_SECONDS": str(LEASE), **more}


async def stop(pid: int) -> None:
    """SIGSTOP, and wait until every thread of the process is stopped: the signal takes effect a moment after
    kill() returns, and a request sent in that moment would still be answered."""
    os.kill(pid, signal.SIGSTOP)
    while any(_state(task) != "T" for task in Path(f"/proc/{pid}/task").iterdir()):
        await asyncio.sleep(0.01)


def _state(task: Path) -> str:
    return (task / "stat").read_text().rsplit(")", 1)[1].split()[0]


def record(name: str, figures: dict[str, Any]) -> None:
    record_figure("database_outage", name, figures)


async def seated(url: str, code: str | None, *nicknames: str) -> tuple[list[Player], str]:
    players = [Player(nickname, await guest_token(url, nickname)) for nickname in nicknames]
    if code is None:
        _, room = await rest(url, "POST", "/api/rooms/create", players[0].token, {})
        code = room["code"]
    for player in players:
        await player.connect(url, "websocket")
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"]
    return players, code


async def close(players: list[Player]) -> None:
    for player in players:
        if player.client.connected:
            await player.client.disconnect()


async def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = await call
    return answer, time.monotonic() - started


async def test_while_the_database_is_stopped_every_call_is_answered_by_the_deadline_and_nothing_is_lost(
    stoppable: EmbeddedDatabase, driver: str
) -> None:
    server = await ServerProcess(env(stoppable, driver, RECONNECT_GRACE_SECONDS="0")).start()
    pid = stoppable._process.pid  # noqa: SLF001
    players, code = await seated(server.url, None, "ann", "bob", "cid", "dan")
    ann, bob = players[0], players[1]
    try:
        assert (await ann.call("sendMessage", "before the outage"))["ok"]
        await stop(pid)
        try:  # everything in this block is answered while the database is stopped
            events = [timed(player.call("ready", timeout=ANSWERED_WITHIN)) for player in players for _ in range(10)]
            routes = [timed(rest(server.url, "GET", "/api/users/me", ann.token)) for _ in range(10)]
            answers = await asyncio.gather(*events, *routes)
            acks, statuses = answers[:len(events)], answers[len(events):]
            assert all(ack["ok"] is False and ack["code"] == "UNAVAILABLE" for ack, _ in acks), acks
            assert all((status, body["code"]) == (503, "UNAVAILABLE") for (status, body), _ in statuses), statuses
            slowest = max(seconds for _, seconds in answers)
            record(f"stopped, {driver}", {"calls": len(answers), "deadline_s": TIMEOUT, "slowest_s": round(slowest, 3)})
            await bob.client.disconnect()  # a departure the database cannot take now
            await asyncio.sleep(TIMEOUT * 2)  # the departure's first attempt times out
        finally:
            os.kill(pid, signal.SIGCONT)

        left = await ann.wait_for(f"leftRoom{code}", timeout=15)
        assert [p["nickname"] for p in left[0]] == ["ann", "cid", "dan"]
        ack = await ann.call("ready")
        assert ack["ok"] is True, ack
        assert (await ann.call("sendMessage", "after the outage"))["ok"]
        async with inspected(stoppable.uri, "game_backend") as db:
            kept = [message["chat"] async for message in db.messages.find({"chatroom": code})]
        assert sorted(kept) == ["after the outage", "before the outage"]
    finally:
        await close(players)
        server.stop()


async def test_a_killed_database_is_answered_by_the_deadline_and_served_again_once_back(
    tmp_path: Path, driver: str
) -> None:
    """Several rounds of calls wait on a killed database at once, each cancelled by its deadline as the driver
    gives up on it; once the database is back on its address, the same process serves again (a driver left
    wedged by a cancelled wait never would)."""
    database = EmbeddedDatabase(tmp_path / "db")
    database.start()
    server = await ServerProcess(env(database, driver)).start()
    players, _ = await seated(server.url, None, "ann", "bob")
    try:
        database._process.kill()  # noqa: SLF001
        database._process.wait()  # noqa: SLF001
        for _ in range(3):
            answers = await asyncio.gather(*(timed(player.call("ready", timeout=ANSWERED_WITHIN))
                                             for player in players for _ in range(10)),
                                           timed(rest(server.url, "GET", "/api/rooms")))
            assert all(ack["ok"] is False and ack["code"] == "UNAVAILABLE" for ack, _ in answers[:-1]), answers
            assert answers[-1][0][0] == 503
        record(f"killed, {driver}", {"calls": len(answers), "deadline_s": TIMEOUT,
                                     "slowest_s": round(max(seconds for _, seconds in answers), 3)})
        back = EmbeddedDatabase(tmp_path / "db", port=database.port)
        back.start()
        try:
            ack = await players[0].call("ready")
            for _ in range(30):  # the driver finds the database again within its heartbeat (0.5 s when it is down)
                if ack["ok"]:
                    break
                await asyncio.sleep(0.5)
                ack = await players[0].call("ready")
            assert ack["ok"] is True, ack
            assert set(ack) == {"ok", "isReady", "allReady"}
        finally:
            back.stop()
    finally:
        await close(players)
        server.stop()
        database.stop()


async def test_a_connection_refused_during_a_stall_is_answered_and_leaves_no_session_behind(
    stoppable: EmbeddedDatabase, driver: str
) -> None:
    """A connect the database cannot serve gets a CONNECT_ERROR with a code; the record its refused arrival sent,
    which the database applies only once it wakes, is removed, and the player's seat is then released."""
    server = await ServerProcess(env(stoppable, driver, RECONNECT_GRACE_SECONDS="1")).start()
    pid = stoppable._process.pid  # noqa: SLF001
    players, code = await seated(server.url, None, "ann", "bob")
    ann, bob = players
    refusals: list[Any] = []
    clients = [socketio.AsyncClient(reconnection=False) for _ in range(4)]
    for client in clients:
        client.on("connect_error", lambda data: refusals.append(data))
    try:
        await stop(pid)
        try:
            await bob.client.disconnect()
            started = time.monotonic()
            results = await asyncio.gather(*(client.connect(server.url, auth={"token": bob.token},
                                                            transports=["websocket"], wait_timeout=ANSWERED_WITHIN)
                                             for client in clients), return_exceptions=True)
            answered = time.monotonic() - started
            assert all(isinstance(result, socketio.exceptions.ConnectionError) for result in results), results
            assert [refusal["data"]["code"] for refusal in refusals] == ["UNAVAILABLE"] * 4, refusals
            record(f"refused connects, {driver}", {"connects": 4, "all_answered_s": round(answered, 3)})
        finally:
            os.kill(pid, signal.SIGCONT)
        # bob has no connection left: the late records are removed and his seat, held for the grace, released.
        left = await ann.wait_for(f"leftRoom{code}", timeout=15)
        assert [p["nickname"] for p in left[0]] == ["ann"]
        async with inspected(stoppable.uri, "game_backend") as db:
            for _ in range(100):
                if (await db.users.find_one({"nickname": "bob"}))["sockets"] == []:
                    break
                await asyncio.sleep(0.1)
            assert (await db.users.find_one({"nickname": "bob"}))["sockets"] == []
    finally:
        for client in clients:
            await client.disconnect()
        await close(players)
        server.stop()


async def test_no_server_takes_itself_or_another_for_dead_when_the_database_stalls_longer_than_a_lease(
    stoppable: EmbeddedDatabase, driver: str, tmp_path: Path
) -> None:
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = await ServerProcess(env(stoppable, driver, RECONNECT_GRACE_SECONDS="1"), log=logs[0]).start()
    second = await ServerProcess(env(stoppable, driver, RECONNECT_GRACE_SECONDS="1"), log=logs[1]).start()
    pid = stoppable._process.pid  # noqa: SLF001
    here, code = await seated(first.url, None, "ann")
    there, _ = await seated(second.url, code, "bob")
    try:
        await asyncio.sleep(LEASE)  # both have beaten and watched each other
        await stop(pid)
        await asyncio.sleep(LEASE * 3)  # two leases and more without a heartbeat written
        os.kill(pid, signal.SIGCONT)
        await asyncio.sleep(LEASE * 2 + 1)  # time to take someone for dead, and to release them after the grace
        for player in (*here, *there):
            ack = await player.call("ready")
            assert ack["ok"] is True, ack  # still seated
        async with inspected(stoppable.uri, "game_backend") as db:
            room = await db.rooms.find_one({"code": code})
            assert [p["nickname"] for p in room["players"]] == ["ann", "bob"]
            assert await db.processes.count_documents({}) == 2
            for nickname, player in (("ann", here[0]), ("bob", there[0])):
                user = await db.users.find_one({"nickname": nickname})
                assert [s["sid"] for s in user["sockets"]] == [player.client.get_sid()]
        for log in logs:
            assert "stopped beating" not in log.read_text()
    finally:
        await close([*here, *there])
        first.stop()
        second.stop()


async def test_a_server_taken_for_dead_while_it_was_stopped_takes_its_players_back(
    stoppable: EmbeddedDatabase, driver: str, tmp_path: Path
) -> None:
    """The server process itself is stopped longer than a lease: the other claims it and holds its player's seat;
    when it runs again within the grace period, it writes its heartbeat anew and records its player again."""
    grace = 6.0
    survivor = await ServerProcess(env(stoppable, driver, RECONNECT_GRACE_SECONDS=str(grace))).start()
    sleeper = await ServerProcess(env(stoppable, driver, RECONNECT_GRACE_SECONDS=str(grace)),
                                  log=tmp_path / "sleeper.log").start()
    here, code = await seated(survivor.url, None, "ann")
    there, _ = await seated(sleeper.url, code, "bob")
    bob = there[0]
    try:
        async with inspected(stoppable.uri, "game_backend") as db:
            await asyncio.sleep(LEASE)
            sleeper.process.send_signal(signal.SIGSTOP)
            try:
                for _ in range(150):  # the survivor claims it: bob's seat is held
                    room = await db.rooms.find_one({"code": code})
                    if any("leaveAt" in player for player in room["players"]):
                        break
                    await asyncio.sleep(0.1)
                assert any("leaveAt" in player for player in room["players"]), "the stopped server was never claimed"
            finally:
                sleeper.process.send_signal(signal.SIGCONT)
            await asyncio.sleep(grace + LEASE)  # past the grace the seat would have been released
            room = await db.rooms.find_one({"code": code})
            assert [(p["nickname"], "leaveAt" in p) for p in room["players"]] == [("ann", False), ("bob", False)]
            user = await db.users.find_one({"nickname": "bob"})
            assert [s["sid"] for s in user["sockets"]] == [bob.client.get_sid()]
            assert await db.processes.count_documents({}) == 2
            ack = await bob.call("ready")
            assert ack["ok"] is True, ack
        assert "recording its 1 connection(s) again" in (tmp_path / "sleeper.log").read_text()
    finally:
        await close([*here, *there])
        survivor.stop()
        sleeper.stop()


async def test_presses_are_judged_while_the_database_is_stopped_and_saved_once_it_is_back(
    stoppable: EmbeddedDatabase, driver: str
) -> None:
    """The press path never waits on the database: a press during a stall is judged at once; `gameEnded`, which
    must save the presses first, answers UNAVAILABLE by the deadline, and once the database is back the round
    ends with the server's score of every press, those of the stall included."""
    server = await ServerProcess(env(stoppable, driver, START_LEAD_SECONDS="0.5")).start()
    pid = stoppable._process.pid  # noqa: SLF001
    (ann, bob), code = await seated(server.url, None, "ann", "bob")
    try:
        await ann.act("changeSong", {"roomCode": code, "song": 6})
        await bob.act("ready")
        await ann.act("startGame", {"code": code})
        notes = [note["time"] for note in await ann.load(code)]
        await bob.load(code)
        await ann.sync_clock()
        start_time = (await ann.wait_for(f"allPlayersLoaded{code}"))[0]
        assert (await ann.press_on(code, start_time, notes[0]))["judgement"] == "perfect"
        await stop(pid)
        try:
            during = await ann.press_on(code, start_time, notes[2])  # the note between went by: the combo broke
            assert (during["judgement"], during["score"], during["combo"]) == ("perfect", 600, 1)
            ended, _ = await timed(ann.call("gameEnded", {"nickname": "ann", "code": code, "score": 0},
                                            timeout=ANSWERED_WITHIN))
            assert (ended["ok"], ended["code"]) == (False, "UNAVAILABLE")
        finally:
            os.kill(pid, signal.SIGCONT)
        assert await ann.call("gameEnded", {"nickname": "ann", "code": code, "score": 0}) == {"ok": True}
        assert await bob.call("gameEnded", {"nickname": "bob", "code": code, "score": 0}) == {"ok": True}
        result = (await ann.wait_for(f"allPlayersEnded{code}"))[0]
        assert result["players"][0] == {"nickname": "ann", "instrument": "select", "score": 600, "judged": True}
        status, replay = await rest(server.url, "GET", f"/api/games/{result['gameId']}/replay")
        assert status == 200 and len(replay["players"][0]["presses"]) == 2
    finally:
        await close([ann, bob])
        server.stop()
