"""Bad input for every room and chat event: a clear failed ack, and the database exactly as it was."""

from __future__ import annotations

import pytest
import socketio

from game_backend.storage.database import Database
from game_backend.testing import Player, Players, rest

from ..dbstate import snapshot

HUGE = "x" * 1_000_000
OPERATOR = {"$ne": None}


async def room_of_two(players: Players) -> tuple[Player, Player, str]:
    host, guest = await players.join("host"), await players.join("guest")
    status, room = await rest(players.base_url, "POST", "/api/rooms/create", host.token, {})
    assert status == 201
    code = room["code"]
    for player in (host, guest):
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"]
    return host, guest, code


BAD_PAYLOADS = {
    "joinRoom": [  # (a payload without a nickname is Motion Beat's tutorial room document: it acts as the caller)
        None, "ABCDEF", 42, [], {}, {"nickname": "guest"}, {"code": OPERATOR},
        {"nickname": "guest", "code": OPERATOR}, {"nickname": OPERATOR, "code": "ABCDEF"},
        {"nickname": "guest", "code": HUGE}, {"nickname": HUGE, "code": "ABCDEF"},
        {"nickname": "guest", "code": "ABC"}, {"nickname": "guest", "code": 123456},
    ],
    "sendMessage": [None, 42, {}, [], OPERATOR, "", "   ", HUGE, "y" * 501],
    "changeInstrument": [
        None, "drum", {}, {"roomCode": "ABCDEF"}, {"instrument": "drum"},
        {"roomCode": OPERATOR, "instrument": "drum"}, {"roomCode": "{code}", "instrument": OPERATOR},
        {"roomCode": "{code}", "instrument": HUGE}, {"roomCode": "{code}", "instrument": "no spaces"},
    ],
    "changeSong": [
        None, 3, {}, {"roomCode": "{code}"}, {"roomCode": "{code}", "song": "3"},
        {"roomCode": "{code}", "song": OPERATOR}, {"roomCode": "{code}", "song": {"number": OPERATOR}},
        {"roomCode": "{code}", "song": -1}, {"roomCode": "{code}", "song": 10**12},
        {"roomCode": "{code}", "song": True}, {"roomCode": OPERATOR, "song": 3},
    ],
    "leaveRoom": [None, 42, {}, OPERATOR, HUGE, "ABC", ["ABCDEF"]],
    "login": [None, 42, {}, OPERATOR, HUGE, "", "has space", "a" * 16],
}


def fill(payload, code: str):
    if isinstance(payload, dict):
        return {key: fill(value, code) for key, value in payload.items()}
    return code if payload == "{code}" else payload


@pytest.mark.parametrize("event", sorted(BAD_PAYLOADS))
async def test_malformed_payloads_are_refused_and_change_nothing(
    event: str, players: Players, server_db: Database
) -> None:
    host, guest, code = await room_of_two(players)
    before = await snapshot(server_db)
    for payload in BAD_PAYLOADS[event]:
        ack = await guest.call(event, fill(payload, code))
        assert ack["ok"] is False and ack["code"] == "INVALID_PAYLOAD", (event, str(payload)[:80], ack)
        assert isinstance(ack["error"], str) and ack["error"]
    await host.settle(0.2)
    assert await snapshot(server_db) == before
    assert (await guest.call("sendMessage", "still here"))["ok"] is True


async def test_rule_violations_answer_their_codes_and_change_nothing(players: Players, server_db: Database) -> None:
    host, guest, code = await room_of_two(players)
    outsider = await players.join("outsider")
    before = await snapshot(server_db)
    cases = [
        (guest, "joinRoom", {"nickname": "host", "code": code}, "FORBIDDEN"),
        (outsider, "joinRoom", {"nickname": "outsider", "code": "ZZZZZZ"}, "ROOM_NOT_FOUND"),
        (outsider, "sendMessage", "hello?", "NOT_IN_ROOM"),
        (outsider, "ready", None, "NOT_IN_ROOM"),
        (outsider, "leaveRoom", code, "NOT_IN_ROOM"),
        (outsider, "changeInstrument", {"roomCode": code, "instrument": "drum"}, "NOT_IN_ROOM"),
        (guest, "changeSong", {"roomCode": code, "song": 2}, "NOT_HOST"),
        (host, "changeSong", {"roomCode": code, "song": 999}, "INVALID_PAYLOAD"),
        (guest, "leaveRoom", "ZZZZZZ", "ROOM_NOT_FOUND"),
        (guest, "login", "host", "FORBIDDEN"),
    ]
    for player, event, payload, code_expected in cases:
        ack = await (player.call(event) if payload is None else player.call(event, payload))
        assert ack["ok"] is False and ack["code"] == code_expected, (event, payload, ack)
    await host.settle(0.2)
    assert await snapshot(server_db) == before


async def test_a_full_room_and_a_playing_room_refuse_a_joiner(players: Players, server_db: Database) -> None:
    host, guest, code = await room_of_two(players)
    for nickname in ("third", "fourth"):
        player = await players.join(nickname)
        assert (await player.call("joinRoom", {"nickname": nickname, "code": code}))["ok"]
    fifth = await players.join("fifth")
    before = await snapshot(server_db)
    ack = await fifth.call("joinRoom", {"nickname": "fifth", "code": code})
    assert ack["ok"] is False and ack["code"] == "ROOM_FULL"
    assert await snapshot(server_db) == before
    await server_db.rooms.update_one({"code": code}, {"$pull": {"players": {"nickname": "fourth"}}, "$set": {"gameState": "playing"}})
    before = await snapshot(server_db)
    ack = await fifth.call("joinRoom", {"nickname": "fifth", "code": code})
    assert ack["ok"] is False and ack["code"] == "GAME_IN_PROGRESS"
    assert await snapshot(server_db) == before


async def test_an_anonymous_connection_may_watch_but_not_act(server: str, server_db: Database) -> None:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server, transports=["websocket"])
    try:
        before = await snapshot(server_db)
        ack = await client.call("joinRoom", {"nickname": "nobody", "code": "ABCDEF"}, timeout=5)
        assert ack["ok"] is False and ack["code"] == "NOT_AUTHENTICATED"
        ack = await client.call("sendMessage", "hi", timeout=5)
        assert ack["ok"] is False and ack["code"] == "NOT_AUTHENTICATED"
        assert await snapshot(server_db) == before
    finally:
        await client.disconnect()


async def test_a_bad_token_refuses_the_connection_with_a_reason(server: str) -> None:
    client = socketio.AsyncClient(reconnection=False)
    reasons = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server, auth={"token": "not-a-token"}, transports=["websocket"])
    assert reasons == [{"message": "the token is not valid: sign in again", "data": {"code": "NOT_AUTHENTICATED"}}]


async def test_an_unknown_event_gets_its_one_ack_and_changes_nothing(players: Players, server_db: Database) -> None:
    host, guest, code = await room_of_two(players)
    before = await snapshot(server_db)
    for event, payload in (("joinRom", {"nickname": "host", "code": code}), ("x" * 300, None), ("$where", OPERATOR)):
        ack = await host.call(event, payload)
        assert (ack["ok"], ack["code"]) == (False, "UNKNOWN_EVENT"), ack
        assert len(ack["error"]) < 100
    await host.emit("noSuchEvent", {"any": "thing"})  # without a callback: dropped, and the connection stays
    assert (await host.call("sendMessage", "still here"))["ok"]
    after = await snapshot(server_db)
    assert {name: docs for name, docs in after.items() if name != "messages"} == \
        {name: docs for name, docs in before.items() if name != "messages"}
