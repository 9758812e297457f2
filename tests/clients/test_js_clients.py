"""The real JavaScript socket.io-client (4.x and 3.x, in Node) against this server, in every transport mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp import web

from game_backend.app import create_app
from game_backend.app_keys import WORLD
from game_backend.config import Settings
from game_backend.storage.database import Database
from game_backend.testing import rest

from ..js_players import JsPlayer, JsPlayers

# The transport matrix: the default client (long-polling, then upgrade), WebSocket only, long-polling only.
MODES: dict[str, dict[str, Any]] = {
    "v4-default": {"client": "v4"},
    "v4-websocket": {"client": "v4", "transports": ["websocket"]},
    "v4-polling": {"client": "v4", "transports": ["polling"]},
    "v3-default": {"client": "v3"},
}
KOREAN_AND_EMOJI = "안녕하세요 🎶 반가워요 👋🏽"


@pytest.fixture(params=list(MODES))
def mode(request: pytest.FixtureRequest) -> dict[str, Any]:
    return MODES[request.param]


async def create_room(js: JsPlayers, host: JsPlayer) -> str:
    status, room = await rest(js.base_url, "POST", "/api/rooms/create", host.token, {"type": "codeGame"})
    assert status == 201, room
    return room["code"]


def failed(ack: Any, code: str) -> bool:
    """A failed ack exactly as the protocol says: {ok: false, error: <sentence>, code}."""
    return (
        isinstance(ack, dict) and set(ack) == {"ok", "error", "code"} and ack["ok"] is False
        and isinstance(ack["error"], str) and ack["error"] != "" and ack["code"] == code
    )


async def expect_transport(player: JsPlayer, options: dict[str, Any]) -> None:
    """Where the client should be once connected: WebSocket unless it was told to poll only."""
    wanted = "polling" if options.get("transports") == ["polling"] else "websocket"
    if "transports" not in options:
        upgrade = await player.record(lambda r: r["type"] == "upgrade")
        assert upgrade == {"type": "upgrade", "transport": "websocket", "current": "websocket"}
    assert await player.transport() == wanted


async def test_a_room_plays_through_the_protocol(js: JsPlayers, mode: dict[str, Any]) -> None:
    host = await js.join("민수", **mode)
    guest = await js.join("bob", **mode)
    opened = await host.record(lambda r: r["type"] == "open")
    assert opened["transport"] == ("websocket" if mode.get("transports") == ["websocket"] else "polling")
    code = await create_room(js, host)

    joined = await host.call("joinRoom", {"nickname": "민수", "code": code})
    assert joined["ok"] is True and joined["room"]["code"] == code and joined["messages"] == []
    joined = await guest.call("joinRoom", {"nickname": "bob", "code": code})
    assert [p["nickname"] for p in joined["room"]["players"]] == ["민수", "bob"]
    players = await host.wait_for(f"players{code}", lambda a: len(a[0]) == 2)
    assert players[0][1] == {"nickname": "bob", "instrument": "select", "isReady": False}
    await host.wait_for("allReady", lambda a: a == [False])

    # userStatus goes to those who care (the room, and friends): bob, in the room, hears 민수's login.
    assert await host.call("login", "민수") == {"ok": True, "nickname": "민수"}
    await guest.wait_for("userStatus", lambda a: a == [{"nickname": "민수", "online": True}])

    assert await guest.call("ready") == {"ok": True, "isReady": True, "allReady": True}
    await host.wait_for("readyStatus", lambda a: a == [{"nickname": "bob", "isReady": True}])
    await host.wait_for("allReady", lambda a: a == [True])

    sent = await guest.call("sendMessage", KOREAN_AND_EMOJI)
    assert sent["ok"] is True and sent["message"]["chat"] == KOREAN_AND_EMOJI
    for player in (host, guest):
        [message] = await player.wait_for("message")
        assert message["chat"] == KOREAN_AND_EMOJI
        assert message["user"]["nickname"] == "bob" and message["chatroom"] == code

    assert await guest.call("changeInstrument", {"roomCode": code, "instrument": "drum"}) == {"ok": True}
    await host.wait_for("instChanged", lambda a: a == [{"nickname": "bob", "instrument": "drum"}])

    song = {"number": 3, "title": "as Motion Beat's client sends it"}
    changed = await host.call("changeSong", {"roomCode": code, "song": song})
    assert changed["ok"] is True and changed["song"]["number"] == 3
    assert (await guest.wait_for("songChanged"))[0] == changed["song"]
    assert failed(await guest.call("changeSong", {"roomCode": code, "song": 4}), "NOT_HOST")

    assert await host.call("leaveRoom", code) == {"ok": True}
    left = await guest.wait_for(f"leftRoom{code}")
    assert [p["nickname"] for p in left[0]] == ["bob"]
    await guest.wait_for("hostChanged", lambda a: a == ["bob"])

    for player in (host, guest):
        await expect_transport(player, mode)


@pytest.fixture
async def app_server(mongodb_uri: str, database_name: str) -> AsyncIterator[tuple[str, web.Application]]:
    """The app on a free port, with the application object itself, to look at the server's side."""
    settings = Settings(mongodb_uri=mongodb_uri, database_name=database_name, host="127.0.0.1", port=0)
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}", app
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("client", ["v4", "v3"])
async def test_the_default_client_really_upgrades_to_websocket(
    app_server: tuple[str, web.Application], client: str
) -> None:
    base_url, app = app_server
    sio: socketio.AsyncServer = app[WORLD].sio
    group = JsPlayers(base_url)
    try:
        player = await group.join("upgrader", client=client)
        connected = await player.connected()
        assert (await player.record(lambda r: r["type"] == "open"))["transport"] == "polling"
        assert await player.record(lambda r: r["type"] == "upgrade") == {
            "type": "upgrade", "transport": "websocket", "current": "websocket",
        }
        assert await player.transport() == "websocket"
        # The server agrees: this connection's Engine.IO socket now carries it over WebSocket.
        assert sio.transport(connected["id"]) == "websocket"
        # ... and it still works there.
        assert await player.call("login", "upgrader") == {"ok": True, "nickname": "upgrader"}
    finally:
        await group.close()


async def test_a_polling_client_and_a_websocket_client_chat_in_one_room(js: JsPlayers) -> None:
    poller = await js.join("poller", transports=["polling"])
    streamer = await js.join("streamer", transports=["websocket"])
    code = await create_room(js, poller)
    assert (await poller.call("joinRoom", {"nickname": "poller", "code": code}))["ok"] is True
    assert (await streamer.call("joinRoom", {"nickname": "streamer", "code": code}))["ok"] is True
    await poller.wait_for(f"players{code}", lambda a: [p["nickname"] for p in a[0]] == ["poller", "streamer"])

    for sender, text in ((poller, "from polling 폴링 📨"), (streamer, "from websocket 웹소켓 ⚡")):
        assert (await sender.call("sendMessage", text))["ok"] is True
        for player in (poller, streamer):
            [message] = await player.wait_for("message", lambda a, t=text: a[0]["chat"] == t)
            assert message["user"]["nickname"] == sender.nickname
    assert await poller.transport() == "polling"
    assert await streamer.transport() == "websocket"


async def test_failed_acks_reach_the_callback_as_the_protocol_says(js: JsPlayers, server_db: Database) -> None:
    player = await js.join("carol", transports=["polling"])
    rooms_before = await server_db.rooms.count_documents({})
    assert failed(await player.call("joinRoom", {"nickname": "carol", "code": "ZZZZZZ"}), "ROOM_NOT_FOUND")
    assert failed(await player.call("joinRoom", {"nickname": {"$ne": None}, "code": "ZZZZZZ"}), "INVALID_PAYLOAD")
    assert failed(await player.call("joinRoom", {"nickname": "someone", "code": "ZZZZZZ"}), "FORBIDDEN")
    assert failed(await player.call("login", "someone"), "FORBIDDEN")
    assert failed(await player.call("sendMessage", KOREAN_AND_EMOJI), "NOT_IN_ROOM")
    assert failed(await player.call("ready"), "NOT_IN_ROOM")
    assert failed(await player.call("leaveRoom", {"$ne": None}), "INVALID_PAYLOAD")
    assert await server_db.rooms.count_documents({}) == rooms_before
    assert await server_db.messages.count_documents({}) == 0


async def test_an_anonymous_client_is_told_to_sign_in(js: JsPlayers) -> None:
    player = await js.start_anonymous(transports=["websocket"])
    await player.connected()
    assert failed(await player.call("sendMessage", "hi"), "NOT_AUTHENTICATED")


async def test_a_bad_token_is_refused_with_a_reason(js: JsPlayers) -> None:
    player = await js.start("mallory", token="not-a-token")
    refused = await player.record(lambda r: r["type"] in ("connect", "connect_error"))
    assert refused["type"] == "connect_error" and refused["message"]


async def test_live_scores_arrive_as_four_separate_arguments(js: JsPlayers, mode: dict[str, Any]) -> None:
    host = await js.join("host", **mode)
    drummer = await js.join("드러머", transports=["websocket"])
    code = await create_room(js, host)
    for player in (host, drummer):
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"] is True
    assert (await drummer.call("ready"))["allReady"] is True
    assert (await host.call("startGame", {"code": code}))["ok"] is True
    for player in (host, drummer):
        await player.wait_for(f"gameStarted{code}")
        assert (await player.call("playerLoaded", {"nickname": player.nickname, "code": code}))["ok"] is True
    [start_time] = await host.wait_for(f"allPlayersLoaded{code}")
    assert isinstance(start_time, int)

    # No note is due yet, so a reported score is 0 (a higher one is SCORE_IMPOSSIBLE: tests/round/test_judged_rounds.py).
    hit = {"code": code, "nickname": "드러머", "currentScore": 0, "combo": 0, "instrument": "drum",
           "motionType": "shake"}
    await drummer.emit("hit", hit)  # as Motion Beat's client sends it: no callback
    assert await host.wait_for("liveScore드러머") == [0, 0, "drum", "shake"]
    assert await drummer.call("hit", {**hit, "motionType": "swing"}) == {"ok": True}
    assert await host.wait_for("liveScore드러머", lambda a: a[3] == "swing") == [0, 0, "drum", "swing"]
    assert drummer.events("liveScore드러머") == []  # to the room except the sender
