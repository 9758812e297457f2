"""A round through real python-socketio clients, over WebSocket and over long-polling.

The server here uses a 0.2 s start lead instead of 5 s, to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from bson import ObjectId

from game_backend.controllers import rankings

from game_backend.storage.database import Database
from game_backend.testing import Player, Players, rest, running_server

from ..dbstate import snapshot

LEAD = 0.2
GRACE = 0.3  # a player who disconnects mid-round is taken out once this grace period ends
OPERATOR = {"$ne": None}


@pytest.fixture
async def server(mongodb_uri: str, database_name: str) -> AsyncIterator[str]:
    """The conftest server, with a short start lead and reconnect grace."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              start_lead_seconds=LEAD, reconnect_grace_seconds=GRACE) as base_url:
        yield base_url


async def ready_room(players: Players, count: int, prefix: str = "p") -> tuple[list[Player], str]:
    """`count` connected players seated in one room, everyone ready; the first is the host."""
    everyone = [await players.join(f"{prefix}{i}") for i in range(count)]
    status, room = await rest(players.base_url, "POST", "/api/rooms/create", everyone[0].token, {})
    assert status == 201, room
    code = room["code"]
    for player in everyone:
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"]
    for player in everyone[1:]:
        assert (await player.call("ready"))["ok"]
    return everyone, code


async def start(everyone: list[Player], code: str) -> dict[str, Any]:
    ack = await everyone[0].call("startGame", {"code": code})
    assert ack["ok"] is True, ack
    for player in everyone:
        assert (await player.wait_for(f"gameStarted{code}", lambda args: args[0] == ack["game"]))
    return ack["game"]


async def load(player: Player, code: str) -> dict[str, Any]:
    return await player.call("playerLoaded", {"nickname": player.nickname, "code": code})


async def end(player: Player, code: str, score: int) -> dict[str, Any]:
    return await player.call("gameEnded", {"nickname": player.nickname, "code": code, "score": score})


def hit(player: Player, code: str, mark: int = 0) -> dict[str, Any]:
    """A hit reporting no score (always within what the chart allows), told apart by its motionType, `m<mark>`."""
    return {"code": code, "nickname": player.nickname, "currentScore": 0, "combo": 0,
            "instrument": "drum", "motionType": f"m{mark}"}


def marks(player: Player, sender: Player) -> list[str]:
    """The motionTypes of the hits `player` received from `sender`, in order."""
    return [args[3] for args in player.events.get(f"liveScore{sender.nickname}", [])]


def reported(player: Player, score: int = 0) -> dict[str, Any]:
    return {"nickname": player.nickname, "instrument": "select", "score": score, "judged": False}


def received(player: Player, event: str) -> int:
    return len(player.events.get(event, []))


async def round_start_time(everyone: list[Player], code: str, times: int = 1) -> int:
    """The start time every player received, checking they received `allPlayersLoaded` `times` times."""
    start_times = []
    for player in everyone:
        await player.wait_for(f"allPlayersLoaded{code}",
                              lambda _, p=player: received(p, f"allPlayersLoaded{code}") >= times)
        start_times.append(player.events[f"allPlayersLoaded{code}"][times - 1][0])
    assert len(set(start_times)) == 1
    return start_times[0]


@pytest.mark.parametrize("count", [1, 2, 4])
async def test_a_whole_round(count: int, players: Players, server_db: Database) -> None:
    everyone, code = await ready_room(players, count)
    game = await start(everyone, code)
    assert game["players"] == [reported(p) for p in everyone]
    assert game["gameState"] == "playing" and game["code"] == code
    assert (await server_db.rooms.find_one({"code": code}))["gameState"] == "playing"

    before_last_load = time.time() * 1000
    for player in everyone:
        ack = await load(player, code)
        assert ack["ok"] is True and ack["part"]["instrument"] == "select" and ack["part"]["notes"]
    start_time = await round_start_time(everyone, code)
    assert start_time >= before_last_load + LEAD * 1000

    for i, player in enumerate(everyone):
        await player.emit("hit", hit(player, code, i))
    for player in everyone:
        for i, other in enumerate(everyone):
            if other is not player:
                assert await player.wait_for(f"liveScore{other.nickname}") == (0, 0, "drum", f"m{i}")

    scores = [0] * count  # reported scores: no note is due yet (tests/round/test_judged_rounds.py scores notes)
    for player, score in zip(everyone, scores, strict=True):
        assert await end(player, code, score) == {"ok": True}
    results = [(await player.wait_for(f"allPlayersEnded{code}"))[0] for player in everyone]
    song = await server_db.songs.find_one({"number": game["song"]})
    expected_players = [reported(p, s) for p, s in zip(everyone, scores, strict=True)]
    assert results[0]["players"] == expected_players
    assert results[0]["totalScore"] == sum(scores) and results[0]["title"] == song["title"]
    assert all(result == results[0] for result in results)

    await everyone[0].settle()
    for player in everyone:
        assert received(player, f"allPlayersLoaded{code}") == 1
        assert received(player, f"allPlayersEnded{code}") == 1
        assert received(player, f"liveScore{player.nickname}") == 0
    room = await server_db.rooms.find_one({"code": code})
    assert room["gameState"] == "waiting"
    assert [p["isReady"] for p in room["players"]] == [True] + [False] * (count - 1)
    ranking = await server_db.rankings.find_one({"number": game["song"]})
    assert ranking["players"] == expected_players and ranking["totalScore"] == sum(scores)
    for player, score in zip(everyone, scores):
        recent = (await server_db.users.find_one({"nickname": player.nickname}))["recentSongs"]
        assert [(s["number"], s["score"]) for s in recent] == [(game["song"], score)]
    status, listed = await rest(players.base_url, "GET", f"/api/rankings/{game['song']}")
    assert status == 200 and listed == [{**results[0], "rank": 1}] and results[0]["gameId"] == game["id"]


async def test_motion_beat_clients_send_player_loaded_without_an_ack(players: Players) -> None:
    everyone, code = await ready_room(players, 3)
    await start(everyone, code)
    for player in everyone:
        await player.emit("playerLoaded", {"nickname": player.nickname, "code": code})
    await round_start_time(everyone, code)


async def test_the_last_two_load_and_end_at_the_same_moment(players: Players, server_db: Database) -> None:
    everyone, code = await ready_room(players, 4)
    first, last = everyone[:2], everyone[2:]
    for round_number in range(1, 4):
        await start(everyone, code)
        for player in first:
            assert (await load(player, code))["ok"]
        acks = await asyncio.gather(*(load(player, code) for player in last))
        assert all(ack["ok"] for ack in acks)
        start_time = await round_start_time(everyone, code, times=round_number)
        assert (await server_db.games.find_one({"code": code, "gameState": "playing"}))["startTime"] == start_time

        for player in first:
            assert (await end(player, code, 0))["ok"]
        acks = await asyncio.gather(*(end(player, code, 0) for player in last))
        assert all(ack["ok"] for ack in acks)
        for player in everyone:
            await player.wait_for(f"allPlayersEnded{code}",
                                  lambda _, p=player: received(p, f"allPlayersEnded{code}") >= round_number)
        await everyone[0].settle()
        for player in everyone:
            assert received(player, f"allPlayersLoaded{code}") == round_number
            assert received(player, f"allPlayersEnded{code}") == round_number
        assert await server_db.rankings.count_documents({}) == round_number
        for player in last:
            assert (await player.call("ready"))["ok"]
        for player in first[1:]:
            assert (await player.call("ready"))["ok"]


LEAVING_WAYS = ["leaveRoom", "rest", "disconnect", "join another room"]


async def leave(base_url: str, player: Player, code: str, how: str, elsewhere: str) -> None:
    if how == "leaveRoom":
        assert await player.call("leaveRoom", code) == {"ok": True}
    elif how == "rest":
        status, body = await rest(base_url, "PATCH", "/api/rooms/leave", player.token, {"code": code})
        assert status == 200, body
    elif how == "disconnect":
        await player.client.disconnect()
    else:
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": elsewhere}))["ok"]


@pytest.mark.parametrize("how", LEAVING_WAYS)
async def test_players_leaving_mid_round_let_the_others_finish(how: str, players: Players,
                                                               server_db: Database) -> None:
    (host, bob, cat), code = await ready_room(players, 3)
    _, elsewhere = await ready_room(players, 1, prefix="other")
    await start([host, bob, cat], code)
    assert (await load(host, code))["ok"] and (await load(bob, code))["ok"]
    await leave(players.base_url, cat, code, how, elsewhere)  # the last one who had not loaded
    await round_start_time([host, bob], code)
    assert (await end(host, code, 0))["ok"]
    await leave(players.base_url, bob, code, how, elsewhere)  # the last one who had not ended
    result = (await host.wait_for(f"allPlayersEnded{code}"))[0]
    assert result["players"] == [reported(host)]
    await host.settle()
    assert received(host, f"allPlayersLoaded{code}") == 1 and received(host, f"allPlayersEnded{code}") == 1
    room = await server_db.rooms.find_one({"code": code})
    assert room["gameState"] == "waiting" and [p["nickname"] for p in room["players"]] == [host.nickname]
    game = await server_db.games.find_one({"code": code})
    assert game["gameState"] == "finished" and [p["nickname"] for p in game["players"]] == [host.nickname]


async def test_start_game_is_refused_to_a_guest_and_before_everyone_is_ready(players: Players,
                                                                           server_db: Database) -> None:
    (host, bob, cat), code = await ready_room(players, 3)
    assert (await cat.call("ready"))["ok"]  # cat is no longer ready
    _, other_code = await ready_room(players, 1, prefix="other")
    before = await snapshot(server_db)
    refusals = [
        (bob, {"code": code}, "NOT_HOST"),
        (host, {"code": code}, "NOT_ALL_READY"),
        (host, {"code": other_code}, "NOT_IN_ROOM"),
        (host, {"code": "ZZZZZZ"}, "ROOM_NOT_FOUND"),
        (host, {"code": OPERATOR}, "INVALID_PAYLOAD"),
        (host, code, "INVALID_PAYLOAD"),
        (host, None, "INVALID_PAYLOAD"),
    ]
    for player, payload, code_expected in refusals:
        ack = await player.call("startGame", payload)
        assert ack["ok"] is False and ack["code"] == code_expected and ack["error"], (payload, ack)
    status, body = await rest(players.base_url, "POST", "/api/games/start", bob.token, {"code": code})
    assert (status, body["code"]) == (403, "NOT_HOST")
    status, body = await rest(players.base_url, "POST", "/api/games/start", None, {"code": code})
    assert (status, body["code"]) == (401, "NOT_AUTHENTICATED")
    await host.settle()
    assert await snapshot(server_db) == before
    assert not any(received(p, f"gameStarted{code}") for p in (host, bob, cat))


async def test_the_host_can_start_over_rest(players: Players) -> None:
    everyone, code = await ready_room(players, 2)
    status, game = await rest(players.base_url, "POST", "/api/games/start", everyone[0].token, {"code": code})
    assert status == 201 and game["code"] == code and game["gameState"] == "playing"
    for player in everyone:
        assert (await player.wait_for(f"gameStarted{code}"))[0] == game


# A string of digits and null are accepted (Motion Beat's client sends its score so); anything else is refused.
BAD_SCORES = [-1, 10**12, "1e2", "12 points", 1.5, True, OPERATOR, {"score": 1}]


async def test_bad_round_events_are_refused_store_nothing_and_relay_nothing(players: Players,
                                                                            server_db: Database) -> None:
    (host, bob), code = await ready_room(players, 2)
    (outsider,), other_code = await ready_room(players, 1, prefix="other")
    await start([host, bob], code)
    await start([outsider], other_code)
    for player in (host, bob):
        assert (await load(player, code))["ok"]
    assert (await load(outsider, other_code))["ok"]
    await round_start_time([host, bob], code)
    before = await snapshot(server_db)

    def with_score(score: Any) -> dict[str, Any]:
        return {"nickname": host.nickname, "code": code, "score": score}

    refusals: list[tuple[str, Any, str]] = [
        # Within a second of the start no note is due: a score-only client cannot have scored yet.
        ("hit", {**hit(host, code), "currentScore": 1}, "SCORE_IMPOSSIBLE"),
        ("gameEnded", with_score(1), "SCORE_IMPOSSIBLE"),
        *(("gameEnded", with_score(score), "INVALID_PAYLOAD") for score in BAD_SCORES),
        ("gameEnded", {"nickname": bob.nickname, "code": code, "score": 5}, "FORBIDDEN"),
        ("gameEnded", {"nickname": host.nickname, "code": other_code, "score": 5}, "NOT_IN_ROOM"),
        ("gameEnded", {"nickname": host.nickname, "code": OPERATOR, "score": 5}, "INVALID_PAYLOAD"),
        ("playerLoaded", {"nickname": bob.nickname, "code": code}, "FORBIDDEN"),
        ("playerLoaded", {"nickname": host.nickname, "code": other_code}, "NOT_IN_ROOM"),
        ("playerLoaded", {"nickname": OPERATOR, "code": code}, "INVALID_PAYLOAD"),
        ("hit", {**hit(host, code), "currentScore": -1}, "INVALID_PAYLOAD"),
        ("hit", {**hit(host, code), "currentScore": 10**12}, "INVALID_PAYLOAD"),
        ("hit", {**hit(host, code), "currentScore": "5"}, "INVALID_PAYLOAD"),
        ("hit", {**hit(host, code), "combo": OPERATOR}, "INVALID_PAYLOAD"),
        ("hit", {**hit(host, code), "motionType": "x" * 1000}, "INVALID_PAYLOAD"),
        ("hit", {**hit(host, code), "instrument": None}, "INVALID_PAYLOAD"),
        ("hit", {**hit(host, code), "nickname": bob.nickname}, "FORBIDDEN"),
        ("hit", hit(host, other_code, 5), "NOT_IN_ROOM"),
        ("hit", None, "INVALID_PAYLOAD"),
    ]
    for event, payload, expected in refusals:
        ack = await host.call(event, payload)
        assert ack["ok"] is False and ack["code"] == expected and ack["error"], (event, payload, ack)
        if event == "hit":
            await host.emit(event, payload)  # as Motion Beat sends it: no ack, and still nothing relayed
    await host.settle()
    assert await snapshot(server_db) == before
    for watcher in (bob, outsider):
        assert received(watcher, f"liveScore{host.nickname}") == 0
        assert received(watcher, f"allPlayersEnded{code}") == 0
    assert await host.call("hit", hit(host, code, 5)) == {"ok": True}
    assert await bob.wait_for(f"liveScore{host.nickname}") == (0, 0, "drum", "m5")
    await outsider.settle()
    assert received(outsider, f"liveScore{host.nickname}") == 0


async def test_round_events_for_a_room_that_is_not_playing_are_refused(players: Players,
                                                                       server_db: Database) -> None:
    (host, bob), code = await ready_room(players, 2)
    before = await snapshot(server_db)
    for event, payload in [
        ("playerLoaded", {"nickname": host.nickname, "code": code}),
        ("gameEnded", {"nickname": host.nickname, "code": code, "score": 5}),
        ("hit", hit(host, code, 5)),
    ]:
        ack = await host.call(event, payload)
        assert ack["ok"] is False and ack["code"] == "NOT_PLAYING" and ack["error"], (event, ack)
    await host.emit("hit", hit(host, code, 5))
    await host.settle()
    assert await snapshot(server_db) == before
    assert received(bob, f"liveScore{host.nickname}") == 0


async def test_a_hit_after_ones_own_game_ended_is_refused(players: Players) -> None:
    (host, bob), code = await ready_room(players, 2)
    await start([host, bob], code)
    for player in (host, bob):
        assert (await load(player, code))["ok"]
    assert (await end(host, code, 0))["ok"]
    ack = await host.call("hit", hit(host, code, 5))
    assert ack["ok"] is False and ack["code"] == "NOT_PLAYING"
    await bob.settle()
    assert received(bob, f"liveScore{host.nickname}") == 0


async def test_hits_over_their_own_limit_are_dropped_and_counted(
    transport: str, mongodb_uri: str, database_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Five hits pass; the rest are dropped. Hits do not spend the shared event budget: gameEnded still passes."""
    caplog.set_level(logging.INFO, logger="game_backend")
    limits = {"hit_rate": 0.001, "hit_burst": 5, "event_rate": 0.001, "event_burst": 8}
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              start_lead_seconds=LEAD, **limits) as base_url:
        players = Players(base_url, transport)
        try:
            (host, bob), code = await ready_room(players, 2)
            await start([host, bob], code)
            for player in (host, bob):
                assert (await load(player, code))["ok"]
            for i in range(12):
                await host.emit("hit", hit(host, code, i))
            ack = await host.call("hit", hit(host, code, 99))
            assert ack["ok"] is False and ack["code"] == "RATE_LIMITED"
            assert (await end(host, code, 0))["ok"]
            await bob.settle()
            assert received(bob, f"liveScore{host.nickname}") == 5
            await host.client.disconnect()
            async with asyncio.timeout(5):
                while "sent 8 hits over the hit limit" not in caplog.text:
                    await asyncio.sleep(0.05)
        finally:
            await players.close()


async def test_rankings_are_best_first_with_a_limit_and_equal_totals_share_a_rank(players: Players,
                                                                                  server_db: Database) -> None:
    """Saved as finished rounds save them (a round that scores takes seconds of notes: test_judged_rounds.py)."""
    for number, (score, judged) in enumerate([(30, True), (90, False), (60, True), (60, True)]):
        player = {"nickname": f"p{number}", "instrument": "drum1", "score": score, "judged": judged}
        await rankings.save_result(server_db, ObjectId(), "ABC123", 2, [player], datetime.now(UTC))
    status, best = await rest(players.base_url, "GET", "/api/rankings/2?limit=2")
    assert status == 200 and [r["totalScore"] for r in best] == [90, 60]
    status, every = await rest(players.base_url, "GET", "/api/rankings/2")
    assert [(r["totalScore"], r["rank"], r["judged"]) for r in every] == [
        (90, 1, False), (60, 2, True), (60, 2, True), (30, 4, True)]
    assert every[0]["players"] == [{"nickname": "p1", "instrument": "drum1", "score": 90, "judged": False}]
    status, judged = await rest(players.base_url, "GET", "/api/rankings/2?judged=true")
    assert [(r["totalScore"], r["rank"]) for r in judged] == [(60, 1), (60, 1), (30, 3)]
    for path, expected in [
        ("/api/rankings/2?limit=0", (400, "INVALID_PAYLOAD")),
        ("/api/rankings/2?limit=101", (400, "INVALID_PAYLOAD")),
        ("/api/rankings/2?limit=abc", (400, "INVALID_PAYLOAD")),
        ("/api/rankings/2?judged=maybe", (400, "INVALID_PAYLOAD")),
        ("/api/rankings/abc", (404, "NOT_FOUND")),  # read as a title: no song is called that
        ("/api/rankings/999", (404, "NOT_FOUND")),
    ]:
        status, body = await rest(players.base_url, "GET", path)
        assert (status, body["code"]) == expected, path


async def test_a_burst_of_hits_sent_at_once_is_relayed_whole(players: Players) -> None:
    """Over long-polling the burst travels in one POST of 40 packets, and back in GETs of at most 16 (python-engineio's client refuses more)."""
    (host, bob), code = await ready_room(players, 2)
    await start([host, bob], code)
    for player in (host, bob):
        assert (await load(player, code))["ok"]
    await asyncio.gather(*(host.emit("hit", hit(host, code, i)) for i in range(40)))
    await bob.wait_for(f"liveScore{host.nickname}", lambda _: received(bob, f"liveScore{host.nickname}") == 40)
    assert sorted(marks(bob, host)) == sorted(f"m{i}" for i in range(40))
    assert host.client.connected


async def test_hits_reach_the_others_in_the_order_they_were_sent(players: Players) -> None:
    """`hit` is handled in the task that read it (an inline event, transport/socketio/server.py), so a player's hits never overtake each other."""
    (host, bob, carol), code = await ready_room(players, 3)
    await start([host, bob, carol], code)
    for player in (host, bob, carol):
        assert (await load(player, code))["ok"]
    for i in range(60):
        await host.emit("hit", hit(host, code, i))
    for watcher in (bob, carol):
        await watcher.wait_for(f"liveScore{host.nickname}",
                               lambda _, w=watcher: received(w, f"liveScore{host.nickname}") == 60)
        assert marks(watcher, host) == [f"m{i}" for i in range(60)]
