"""The reconnect grace period: a dropped player keeps the seat for a while, then loses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from game_backend.storage.database import Database
from game_backend.testing import Player, Players, rest, running_server

GRACE = 0.8


@pytest.fixture
async def server(mongodb_uri: str, database_name: str) -> AsyncIterator[str]:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              reconnect_grace_seconds=GRACE) as base_url:
        yield base_url


async def room_with_bob(players: Players) -> tuple[Player, Player, str]:
    host, bob = await players.join("host"), await players.join("bob")
    _, room = await rest(players.base_url, "POST", "/api/rooms/create", host.token, {})
    code = room["code"]
    for player in (host, bob):
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"]
    return host, bob, code


def seated(room: dict) -> list[str]:
    return [player["nickname"] for player in room["players"]]


async def test_a_player_who_comes_back_in_time_keeps_the_seat(players: Players, server_db: Database) -> None:
    host, bob, code = await room_with_bob(players)
    await bob.client.disconnect()
    await host.wait_for("userStatus", lambda a: a[0] == {"nickname": "bob", "online": False})
    held = await server_db.rooms.find_one({"code": code})
    assert seated(held) == ["host", "bob"] and "leaveAt" in held["players"][1]

    returning = Player("bob", bob.token)
    await returning.connect(players.base_url, players.transport)
    players.all.append(returning)
    room = await server_db.rooms.find_one({"code": code})
    assert seated(room) == ["host", "bob"] and "leaveAt" not in room["players"][1]
    assert (await host.call("sendMessage", "welcome back"))["ok"]
    assert (await returning.wait_for("message"))[0]["chat"] == "welcome back"

    await host.settle(GRACE + 1.2)
    assert f"leftRoom{code}" not in host.events
    assert seated(await server_db.rooms.find_one({"code": code})) == ["host", "bob"]


async def test_a_player_who_does_not_come_back_leaves_after_the_grace(players: Players, server_db: Database) -> None:
    host, bob, code = await room_with_bob(players)
    await bob.client.disconnect()
    left = await host.wait_for(f"leftRoom{code}", timeout=GRACE + 3)
    assert [p["nickname"] for p in left[0]] == ["host"]
    assert seated(await server_db.rooms.find_one({"code": code})) == ["host"]


async def test_a_player_back_after_the_grace_is_told_to_join_again(players: Players, server_db: Database) -> None:
    host, bob, code = await room_with_bob(players)
    await bob.client.disconnect()
    await host.wait_for(f"leftRoom{code}", timeout=GRACE + 3)
    returning = Player("bob", bob.token)
    await returning.connect(players.base_url, players.transport)
    players.all.append(returning)
    [lost] = await returning.wait_for("seatLost")
    assert lost["code"] == code and lost["reason"] == "GRACE_EXPIRED" and code in lost["message"]
    assert "seatRestored" not in returning.events
    assert failed_code(await returning.call("sendMessage", "still here?")) == "NOT_IN_ROOM"
    await returning.client.disconnect()

    again = Player("bob", bob.token)  # told once: the next connection hears nothing of it
    await again.connect(players.base_url, players.transport)
    players.all.append(again)
    await again.settle(0.3)
    assert "seatLost" not in again.events
    assert "seatLost" not in (await server_db.users.find_one({"nickname": "bob"}))


def failed_code(ack: dict) -> str | None:
    return ack.get("code") if ack.get("ok") is False else None


async def test_a_host_who_does_not_come_back_hands_over_the_room(players: Players, server_db: Database) -> None:
    host, bob, code = await room_with_bob(players)
    await host.client.disconnect()
    assert await bob.wait_for("hostChanged", timeout=GRACE + 3) == ("bob",)
    assert (await server_db.rooms.find_one({"code": code}))["hostName"] == "bob"


async def test_a_held_seat_is_not_shown_to_clients_as_anything_but_a_player(players: Players) -> None:
    host, bob, code = await room_with_bob(players)
    await bob.client.disconnect()
    carol = await players.join("carol")
    ack = await carol.call("joinRoom", {"nickname": "carol", "code": code})
    assert [set(player) for player in ack["room"]["players"]] == [{"nickname", "instrument", "isReady"}] * 3
    players_event = await host.wait_for(f"players{code}", lambda a: len(a[0]) == 3)
    assert all(set(player) == {"nickname", "instrument", "isReady"} for player in players_event[0])


async def test_without_a_grace_period_a_disconnect_leaves_at_once(
    mongodb_uri: str, database_name: str, transport: str
) -> None:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              reconnect_grace_seconds=0) as base_url:
        group = Players(base_url, transport)
        try:
            host, bob, code = await room_with_bob(group)
            await bob.client.disconnect()
            assert [p["nickname"] for p in (await host.wait_for(f"leftRoom{code}", timeout=2))[0]] == ["host"]
        finally:
            await group.close()


async def test_a_server_restart_holds_the_seats_for_players_to_reclaim(
    mongodb_uri: str, database_name: str, server_db: Database
) -> None:
    """Stopping a server records each open connection's departure while the database is still open."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name) as first:
        group = Players(first, "websocket")
        host, bob, code = await room_with_bob(group)
    held = await server_db.rooms.find_one({"code": code})
    assert [("leaveAt" in player) for player in held["players"]] == [True, True]
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name) as second:
        returning = Player("bob", bob.token)
        await returning.connect(second, "websocket")
        try:
            room = await server_db.rooms.find_one({"code": code})
            assert [("leaveAt" in player) for player in room["players"]] == [True, False]
        finally:
            await returning.client.disconnect()


async def test_a_server_with_an_unpolled_session_stops_promptly(mongodb_uri: str, database_name: str) -> None:
    """A long-polling session whose client went quiet must not hold the shutdown up."""
    async with asyncio.timeout(15):
        async with running_server(mongodb_uri=mongodb_uri, database_name=database_name) as base_url:
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base_url}/socket.io/?EIO=4&transport=polling") as response:
                    assert response.status == 200
