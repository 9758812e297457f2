"""Engine.IO behaviour seen from socket.io-client: the heartbeat drops a silent client, and a packet over the size limit is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from game_backend.storage.database import Database, connect
from game_backend.testing import WAIT, rest, running_server

from ..js_players import JsPlayer, JsPlayers

# Small enough that a frozen client is noticed quickly; large enough that a busy machine still answers in time.
PING_INTERVAL = 0.5
PING_TIMEOUT = 1.5
GRACE = 0.3  # the dropped client does not come back: its seat is released after this
DROP_WAIT = 10.0
MAX_PAYLOAD = 4096


@pytest.fixture
async def database(mongodb_uri: str, database_name: str) -> AsyncIterator[Database]:
    handle = connect(mongodb_uri, database_name)
    yield handle
    await handle.client.drop_database(database_name)
    await handle.close()


async def room_of_two(group: JsPlayers, first: JsPlayer, second: JsPlayer) -> str:
    status, room = await rest(group.base_url, "POST", "/api/rooms/create", first.token, {"type": "codeGame"})
    assert status == 201, room
    code = room["code"]
    for player in (first, second):
        assert (await player.call("joinRoom", {"nickname": player.nickname, "code": code}))["ok"] is True
    await first.wait_for(f"players{code}", lambda a: len(a[0]) == 2)
    return code


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_a_client_that_stops_answering_pings_is_dropped_and_leaves_its_room(
    mongodb_uri: str, database_name: str, database: Database, transport: str
) -> None:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT,
                              reconnect_grace_seconds=GRACE) as base_url:
        group = JsPlayers(base_url)
        try:
            sleeper = await group.join("sleeper", transports=[transport])
            watcher = await group.join("watcher", transports=["websocket"])
            code = await room_of_two(group, sleeper, watcher)
            sleeper.freeze()
            left = await watcher.record(lambda r: r["type"] == "event" and r["event"] == f"leftRoom{code}",
                                        timeout=DROP_WAIT)
            assert [p["nickname"] for p in left["args"][0]] == ["watcher"]
            await watcher.wait_for("hostChanged", lambda a: a == ["watcher"])
            await watcher.wait_for("userStatus", lambda a: a == [{"nickname": "sleeper", "online": False}])
            room = await database.rooms.find_one({"code": code})
            assert [p["nickname"] for p in room["players"]] == ["watcher"] and room["hostName"] == "watcher"
            # The watcher answered every heartbeat meanwhile: it is still connected and can chat.
            assert (await watcher.call("sendMessage", "still here 🙂"))["ok"] is True
            assert not [r for r in watcher.records if r["type"] == "disconnect"]
        finally:
            await group.close()


@pytest.mark.parametrize("transport", ["polling", "websocket"])
async def test_a_packet_over_the_size_limit_drops_its_sender_only(
    mongodb_uri: str, database_name: str, database: Database, transport: str
) -> None:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              max_payload_bytes=MAX_PAYLOAD, reconnect_grace_seconds=0) as base_url:
        group = JsPlayers(base_url)
        try:
            sender = await group.join("sender", transports=[transport])
            other = await group.join("other", transports=["polling" if transport == "websocket" else "websocket"])
            code = await room_of_two(group, sender, other)
            under = "가" * 300  # 900 bytes of UTF-8: well under the limit, delivered as usual
            assert (await sender.call("sendMessage", under))["ok"] is True
            await other.wait_for("message", lambda a: a[0]["chat"] == under)

            await sender.emit("sendMessage", "x" * (2 * MAX_PAYLOAD))
            await sender.record(lambda r: r["type"] == "disconnect")
            left = await other.wait_for(f"leftRoom{code}")
            assert [p["nickname"] for p in left[0]] == ["other"]

            after = "the room goes on 🎵"
            assert (await other.call("sendMessage", after))["ok"] is True
            await other.wait_for("message", lambda a: a[0]["chat"] == after)
            newcomer = await group.join("newcomer", transports=[transport])
            assert (await newcomer.call("joinRoom", {"nickname": "newcomer", "code": code}))["ok"] is True
            stored = [m["chat"] for m in await database.messages.find({}).sort("createdAt", 1).to_list(None)]
            assert stored == [under, after]
        finally:
            await group.close()


async def test_an_oversized_polling_post_is_answered_at_once_and_ends_its_session(
    mongodb_uri: str, database_name: str
) -> None:
    """The HTTP exchange underneath: 413 for the POST (not a request left hanging), then the session is gone."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              max_payload_bytes=MAX_PAYLOAD) as base_url:
        url = f"{base_url}/socket.io/?EIO=4&transport=polling"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT)) as http:
            async with http.get(url) as response:
                sid = json.loads((await response.text())[1:])["sid"]
            async with http.post(f"{url}&sid={sid}", data="4" + "x" * MAX_PAYLOAD) as response:
                assert response.status == 413
                assert str(MAX_PAYLOAD) in await response.text()
            async with http.get(f"{url}&sid={sid}") as response:
                assert response.status == 400
