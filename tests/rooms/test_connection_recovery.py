"""Connection state recovery (CONNECTION_RECOVERY) on one process, with the real socket.io-client 4.x.

The cross-process case (the player's process dies, it comes back through nginx
to another) is in test_load_balancer.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from motor.motor_asyncio import AsyncIOMotorClient

from game_backend.moves.recovery import Recovery, offset_of
from game_backend.testing import rest, running_server

from ..js_players import JsPlayer, JsPlayers

WEBSOCKET: dict[str, Any] = {"client": "v4", "transports": ["websocket"]}


@pytest.fixture
async def js(mongodb_uri: str, database_name: str) -> AsyncIterator[JsPlayers]:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, connection_recovery=True,
                              reconnect_grace_seconds=10) as base_url:
        group = JsPlayers(base_url)
        yield group
        await group.close()


async def seated_pair(js: JsPlayers) -> tuple[JsPlayer, JsPlayer, str]:
    host, away = await js.join("host", **WEBSOCKET), await js.join("away", **WEBSOCKET)
    _, room = await rest(js.base_url, "POST", "/api/rooms/create", host.token, {"type": "codeGame"})
    for player in (host, away):
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": room["code"]}))["ok"] is True
    await host.wait_for(f"players{room['code']}", lambda a: len(a[0]) == 2)
    return host, away, room["code"]


async def come_back(player: JsPlayer, offset: str | None = None) -> tuple[dict[str, Any], list[tuple[str, list[Any]]]]:
    """Reconnect a dropped player (asking to recover from `offset`, if given, instead of the last one received);
    its connect record and the events it got from then on, once seatRestored came. One connect only: a second,
    once the first has opened the connection, sends a second CONNECT (answered "Already connected")."""
    start = len(player.records)
    if offset is None:
        await player.reconnect()
    else:
        await player.reconnect_with_offset(offset)
    back = await player.record(lambda r: r["type"] in ("connect", "connect_error") and player.records.index(r) >= start)
    assert back["type"] == "connect", back
    await player.record(lambda r: r.get("event") == "seatRestored" and player.records.index(r) >= start)
    return back, [(r["event"], r["args"]) for r in player.records[start:] if r["type"] == "event"]


async def test_every_event_carries_an_offset_and_a_dropped_player_gets_what_it_missed(
        js: JsPlayers, mongodb_uri: str, database_name: str) -> None:
    host, away, code = await seated_pair(js)
    [players, offset] = await away.wait_for(f"players{code}", lambda a: len(a[0]) == 2)
    assert offset_of(f'42["players{code}",{{}},"{offset}"]') == offset

    await away.drop()
    await away.record(lambda r: r["type"] == "disconnect")
    seen = len(host.records)
    for text in ("one", "two", "three"):
        assert (await host.call("sendMessage", text))["ok"] is True
    await host.wait_for("message", lambda a: a[0]["chat"] == "three")
    missed = [(r["event"], r["args"]) for r in host.records[seen:] if r["type"] == "event"]

    back, events = await come_back(away)
    assert back["recovered"] is True
    assert events[:len(missed)] == missed, "the missed events first, in order, with the offsets the others got"
    assert "message" not in [event for event, _ in events[len(missed):]], "none twice"
    kept = AsyncIOMotorClient(mongodb_uri)[database_name].room_events
    assert await kept.count_documents({"room": code, "event": "message"}) == 3


async def test_an_offset_the_server_cannot_serve_starts_afresh_in_the_seat(js: JsPlayers) -> None:
    host, away, code = await seated_pair(js)
    await away.drop()
    await away.record(lambda r: r["type"] == "disconnect")
    await host.call("sendMessage", "not replayed")
    # An offset from long ago: the events since may be gone, so none are replayed.
    back, events = await come_back(away, offset="0000000000001000000web1")
    assert back["recovered"] is False
    assert "message" not in [event for event, _ in events]
    assert (await away.call("sendMessage", "still seated"))["ok"] is True


@pytest.mark.parametrize("auth", [
    None, "pid", {"pid": "x" * 16}, {"pid": "short", "offset": "1795773391427000000web2"},
    {"pid": "p" * 16, "offset": "not-an-offset"}, {"pid": "p" * 16, "offset": 17957733914270000},
    {"pid": "p" * 65, "offset": "1795773391427000000web2"}, {"pid": "p/" * 8, "offset": "1795773391427000000web2"},
])
def test_a_malformed_recovery_request_is_no_request(auth: Any) -> None:
    assert Recovery.asked(auth) is None


def test_a_well_formed_recovery_request() -> None:
    asked = Recovery.asked({"token": "t", "pid": "p" * 16, "offset": "1795773391427000000web2"})
    assert asked == Recovery("p" * 16, "1795773391427000000web2")
