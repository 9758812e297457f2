"""Hostile input for every Socket.IO event the server registers (see tests/hostile/arena.py for the catalogue).

Each attack must get a clear failed ack, leave the database exactly as it was,
and leave the other clients served.
"""

from __future__ import annotations

import pytest
import socketio

from game_backend import validation
from game_backend.testing import WAIT

from ..dbstate import snapshot
from .arena import (
    ENTRY_EVENTS,
    HOST_ONLY_EVENTS,
    ROOMLESS_EVENTS,
    WRONG_SHAPES,
    Arena,
    accepts,
    assert_failed_ack,
    contains_operator,
    events,
    injections,
    payload_events,
    valid_payload,
)


def test_the_suite_sees_every_event() -> None:
    """The catalogue is read from the server: the protocol's events are all there (and any added later)."""
    assert {"login", "joinRoom", "sendMessage", "ready", "changeInstrument", "changeSong", "leaveRoom",
            "startGame", "playerLoaded", "hit", "gameEnded"} <= set(events())


@pytest.mark.parametrize("event", payload_events())
async def test_wrong_shapes_and_operator_injection_are_refused_and_change_nothing(arena: Arena, event: str) -> None:
    """Over both transports: every wrong shape the schema refuses, then an operator object in every field."""
    schema = events()[event]
    before = await snapshot(arena.db)
    shapes = [shape for shape in WRONG_SHAPES if not accepts(schema, shape)]
    assert shapes
    for shape in shapes:
        assert_failed_ack(await arena.attacker.call(event, shape), (event, repr(shape)[:60]), "INVALID_PAYLOAD")
    for label, payload in injections(schema, arena.hints):
        assert_failed_ack(await arena.attacker.call(event, payload), (event, label), "INVALID_PAYLOAD")
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()


# Who may do what does not depend on the transport: the rest runs over WebSocket only.
websocket_only = pytest.mark.parametrize("transport", ["websocket"])


@websocket_only
@pytest.mark.parametrize("event", payload_events())
async def test_operator_keys_beside_valid_fields_are_dropped(arena: Arena, event: str) -> None:
    """Unknown keys are dropped by the schema; an ack (whatever it says) comes back, and nothing stores an operator."""
    payload = valid_payload(events()[event], arena.hints)
    if isinstance(payload, dict):
        payload = {**payload, "$where": "sleep(1000)", "players": {"$ne": None}, "hostName": "mallory"}
    ack = await arena.attacker.client.call(event, payload, timeout=WAIT)
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    room = await arena.db.rooms.find_one({"code": arena.code})
    assert room is None or room["hostName"] == "alice"
    assert not contains_operator(await snapshot(arena.db))
    await arena.bystander_is_served()


@websocket_only
@pytest.mark.parametrize("event", sorted(name for name, schema in events().items()
                                          if schema is not None and "nickname" in getattr(schema, "model_fields", {})))
async def test_acting_as_another_player_is_forbidden(arena: Arena, event: str) -> None:
    payload = {**valid_payload(events()[event], arena.hints), "nickname": "alice"}
    before = await snapshot(arena.db)
    assert_failed_ack(await arena.attacker.call(event, payload), event, "FORBIDDEN")
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()


@websocket_only
async def test_login_as_another_user_is_forbidden(arena: Arena) -> None:
    before = await snapshot(arena.db)
    for nickname in ("alice", "bob", "ALICE", " alice "):
        ack = await arena.attacker.call("login", nickname)
        assert_failed_ack(ack, nickname, "FORBIDDEN")
    assert await snapshot(arena.db) == before


@websocket_only
@pytest.mark.parametrize("event", sorted(set(events()) - ENTRY_EVENTS - ROOMLESS_EVENTS - {"login"}))
async def test_nobody_acts_in_a_room_they_are_not_in(arena: Arena, event: str) -> None:
    """mallory aims every room action at bob's room, where she has no seat."""
    hints = {**arena.hints, "code": arena.other_code, "roomCode": arena.other_code, "payload": arena.other_code}
    schema = events()[event]
    payload = None if schema is None else valid_payload(schema, hints)
    if not _names_a_room(schema):
        # The event acts in the sender's own room: she gives up her seat first, so she has none.
        assert (await arena.attacker.call("leaveRoom", arena.code))["ok"]
    before = await snapshot(arena.db)
    ack = await (arena.attacker.call(event) if payload is None else arena.attacker.call(event, payload))
    assert_failed_ack(ack, (event, payload))
    assert ack["code"] in {"NOT_IN_ROOM", "NOT_HOST", "FORBIDDEN", "NOT_PLAYING"}, (event, ack)
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()


def _names_a_room(schema: object) -> bool:
    fields = getattr(schema, "model_fields", {})
    return schema is validation.RoomCode or bool({"code", "roomCode"} & set(fields))


@websocket_only
@pytest.mark.parametrize("event", sorted(HOST_ONLY_EVENTS & set(events())))
async def test_only_the_host_changes_the_song_or_starts(arena: Arena, event: str) -> None:
    assert (await arena.attacker.call("ready"))["ok"]  # everyone ready: only the host rule is left to refuse
    before = await snapshot(arena.db)
    ack = await arena.attacker.call(event, valid_payload(events()[event], arena.hints))
    assert_failed_ack(ack, event, "NOT_HOST")
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()


@websocket_only
async def test_an_anonymous_connection_is_refused_every_event(arena: Arena) -> None:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(arena.base_url, transports=["websocket"], wait_timeout=WAIT)
    try:
        before = await snapshot(arena.db)
        for event, schema in events().items():
            payload = None if schema is None else valid_payload(schema, {**arena.hints, "nickname": "alice",
                                                                         "payload": None})
            ack = await client.call(event, payload, timeout=WAIT)
            assert_failed_ack(ack, event, "NOT_AUTHENTICATED")
        assert await snapshot(arena.db) == before
    finally:
        await client.disconnect()
    await arena.bystander_is_served()


@websocket_only
async def test_round_events_out_of_order_are_refused(arena: Arena) -> None:
    """No round is playing: loading, hitting and ending one all fail and store nothing."""
    before = await snapshot(arena.db)
    for event in ("playerLoaded", "hit", "gameEnded"):
        ack = await arena.attacker.call(event, valid_payload(events()[event], arena.hints))
        assert_failed_ack(ack, event)
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()
