"""Floods: of events, of chat, of connections, and of malformed packets.

Rates are set so low (one token in 1000 s) that only the burst counts: the
tests count refusals, never time anything.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from game_backend.storage.database import Database, connect
from game_backend.testing import WAIT, Player, guest_token, rest, running_server

from ..sign_in import try_connect
from ..dbstate import snapshot
from .arena import assert_failed_ack

NO_REFILL = 0.001  # tokens per second: nothing comes back during a test


@asynccontextmanager
async def serving(mongodb_uri: str, database_name: str, **overrides: Any) -> AsyncIterator[tuple[str, Database]]:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, **overrides) as base_url:
        db = connect(mongodb_uri, database_name)
        try:
            yield base_url, db
        finally:
            await db.client.drop_database(database_name)
            await db.close()


async def seated(base_url: str, transport: str, nickname: str, code: str | None = None) -> tuple[Player, str]:
    player = Player(nickname, await guest_token(base_url, nickname))
    await player.connect(base_url, transport)
    if code is None:
        status, room = await rest(base_url, "POST", "/api/rooms/create", player.token, {})
        assert status == 201
        code = room["code"]
    assert (await player.call("joinRoom", {"nickname": nickname, "code": code}))["ok"]
    return player, code


async def test_an_event_flood_is_answered_rate_limited_and_others_are_served(
    mongodb_uri: str, database_name: str, transport: str
) -> None:
    async with serving(mongodb_uri, database_name, event_rate=NO_REFILL, event_burst=6) as (base_url, db):
        attacker, code = await seated(base_url, transport, "mallory")  # joinRoom spent one token
        bystander, _ = await seated(base_url, transport, "bob", code)
        before = await snapshot(db)
        acks = await asyncio.gather(*(attacker.call("login", "mallory") for _ in range(30)))
        assert sum(ack["ok"] is True for ack in acks) == 5
        refused = [ack for ack in acks if ack["ok"] is False]
        assert len(refused) == 25
        for ack in refused:
            assert_failed_ack(ack, "flood", "RATE_LIMITED")
        assert_failed_ack(await attacker.call("leaveRoom", code), "after the flood", "RATE_LIMITED")
        assert await snapshot(db) == before
        assert (await bystander.call("ready"))["ok"] is True  # bob's own bucket is untouched
        for player in (attacker, bystander):
            await player.client.disconnect()


async def test_a_chat_flood_stores_only_the_burst(mongodb_uri: str, database_name: str, transport: str) -> None:
    async with serving(mongodb_uri, database_name, chat_rate=NO_REFILL, chat_burst=3) as (base_url, db):
        attacker, code = await seated(base_url, transport, "mallory")
        bystander, _ = await seated(base_url, transport, "bob", code)
        acks = await asyncio.gather(*(attacker.call("sendMessage", f"spam {i}") for i in range(12)))
        assert sum(ack["ok"] is True for ack in acks) == 3
        for ack in acks:
            if ack["ok"] is False:
                assert_failed_ack(ack, "chat flood", "RATE_LIMITED")
        assert await db.messages.count_documents({}) == 3
        assert (await attacker.call("ready"))["ok"] is True  # other events keep their own budget
        assert (await bystander.call("sendMessage", "still talking"))["ok"] is True
        await bystander.wait_for("message", lambda args: args[0]["chat"] == "still talking")
        assert len(bystander.events["message"]) == 4
        for player in (attacker, bystander):
            await player.client.disconnect()


async def test_login_and_signup_attempts_are_throttled_per_address(mongodb_uri: str, database_name: str) -> None:
    """Each attempt costs a bcrypt hash: past the burst, an address is answered 429 before any hashing."""
    async with serving(mongodb_uri, database_name, auth_rate=NO_REFILL, auth_burst=4, bcrypt_rounds=4) as (base_url, db):
        status, _ = await rest(base_url, "POST", "/api/users/signup",
                               body={"email": "vic@example.com", "nickname": "vic", "pw": "the real one"})
        assert status == 201
        guesses = await asyncio.gather(*(
            rest(base_url, "POST", "/api/users/login", body={"email": "vic@example.com", "pw": f"guess {i}"})
            for i in range(8)))
        assert sorted(status for status, _ in guesses) == [401] * 3 + [429] * 5
        for status, body in guesses:
            if status == 429:
                assert body["code"] == "RATE_LIMITED" and "attempts" in body["message"]
        before = await snapshot(db)
        status, body = await rest(base_url, "POST", "/api/users/signup",
                                  body={"email": "new@example.com", "nickname": "newbie", "pw": "12345678"})
        assert (status, body["code"]) == (429, "RATE_LIMITED")
        status, body = await rest(base_url, "POST", "/api/users/login", body={"email": "vic@example.com", "pw": "the real one"})
        assert status == 429, "the right password too: the limit is on attempts, not failures"
        assert await snapshot(db) == before
        assert (await rest(base_url, "POST", "/api/users/guest", body={"nickname": "guest1"}))[0] == 201


REFUSED_OVER_CAP = "too many connections from your address (at most 3); close one and retry"


@pytest.mark.parametrize("transport", ["websocket"])
async def test_a_connection_flood_is_refused_over_the_per_address_cap(
    mongodb_uri: str, database_name: str, transport: str
) -> None:
    """Over WebSocket: python-socketio's long-polling client takes a ping interval to give up a refused session."""
    async with serving(mongodb_uri, database_name, max_connections_per_ip=3) as (base_url, db):
        first, code = await seated(base_url, transport, "alice")
        second, _ = await seated(base_url, transport, "bob", code)
        anonymous, refusal = await try_connect(base_url, None, transport)
        assert anonymous is not None, refusal  # anonymous connections count too
        tokens = [await guest_token(base_url, f"flood{i}") for i in range(6)]
        attempts = await asyncio.gather(*(try_connect(base_url, token, transport) for token in tokens))
        assert [refusal for _, refusal in attempts] == [{"message": REFUSED_OVER_CAP, "data": {"code": "TOO_MANY_CONNECTIONS"}}] * 6
        assert (await first.call("sendMessage", "still here"))["ok"] is True
        await second.wait_for("message", lambda args: args[0]["chat"] == "still here")
        users = await db.users.find({"nickname": {"$regex": "^flood"}}).to_list(None)
        assert [user["sockets"] for user in users] == [[]] * 6
        await anonymous.disconnect()
        late, refusal = await try_connect(base_url, tokens[0], transport)
        assert late is not None, refusal
        for client in (late, first.client, second.client):
            await client.disconnect()


async def test_forwarded_addresses_count_only_behind_a_trusted_proxy(mongodb_uri: str, database_name: str) -> None:
    async with serving(mongodb_uri, database_name, max_connections_per_ip=1) as (base_url, _):
        one, _ = await try_connect(base_url, None, headers={"X-Forwarded-For": "10.0.0.1"})
        two, refusal = await try_connect(base_url, None, headers={"X-Forwarded-For": "10.0.0.2"})
        assert one is not None and two is None, "an untrusted peer's X-Forwarded-For is ignored"
        await one.disconnect()
    async with serving(mongodb_uri, database_name, max_connections_per_ip=1,
                       trusted_proxies=("127.0.0.1",)) as (base_url, _):
        clients = []
        for forwarded in ("10.0.0.1", "10.0.0.2", "10.0.0.1, 10.0.0.3"):
            client, refusal = await try_connect(base_url, None, headers={"X-Forwarded-For": forwarded})
            assert client is not None, (forwarded, refusal)
            clients.append(client)
        again, refusal = await try_connect(base_url, None, headers={"X-Forwarded-For": "10.0.0.2"})
        assert again is None and "too many connections" in refusal["message"]
        spoofed, refusal = await try_connect(base_url, None, headers={"X-Forwarded-For": "10.0.0.9, 10.0.0.1"})
        assert spoofed is None, "only the address the proxy appended (the last) counts"
        for client in clients:
            await client.disconnect()


class RawSocket:
    """Socket.IO over a bare WebSocket, to send packets no well-behaved client would."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    @classmethod
    @asynccontextmanager
    async def open(cls, base_url: str) -> AsyncIterator[RawSocket]:
        async with aiohttp.ClientSession() as http:
            url = base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
            async with http.ws_connect(url) as ws:
                assert (await ws.receive_str()).startswith("0{")
                yield cls(ws)

    async def connect(self, token: str) -> str:
        """Join the namespace; returns the answer packet ("40{sid}" or "44{message}")."""
        await self.ws.send_str("40" + json.dumps({"token": token}))
        return await self.next_packet(lambda packet: packet.startswith(("40", "44")))

    async def next_packet(self, wanted: Any) -> str:
        async with asyncio.timeout(WAIT):
            while True:
                packet = await self.ws.receive_str()
                if packet == "2":
                    await self.ws.send_str("3")
                elif wanted(packet):
                    return packet


MALFORMED = [
    '42["disconnect"]', '42["connect",{},{"token":"x"}]', "42", '42{"a":1}', '42[1,2]', '42[{"$ne":null}]',
    '42["sendMessage",' + "[" * 50_000 + "]" * 50_000 + "]", '42["login"', "4", "4{}", "4true",
]


@pytest.mark.parametrize("transport", ["websocket"])
async def test_malformed_packets_close_only_their_sender(mongodb_uri: str, database_name: str, transport: str) -> None:
    async with serving(mongodb_uri, database_name) as (base_url, db):
        bystander, code = await seated(base_url, transport, "bob")
        token = await guest_token(base_url, "mallory")
        before = await snapshot(db)
        for packet in MALFORMED:
            async with RawSocket.open(base_url) as raw:
                assert (await raw.connect(token)).startswith("40"), packet
                await raw.ws.send_str(packet)
                assert await raw.next_packet(lambda answer: answer.startswith("41")) == "41", packet
            assert (await bystander.call("login", "bob"))["ok"] is True
        for _ in range(100):
            if (await db.users.find_one({"nickname": "mallory"}))["sockets"] == []:
                break
            await asyncio.sleep(0.05)
        assert await snapshot(db) == before
        await bystander.client.disconnect()


@pytest.mark.parametrize("transport", ["websocket"])
async def test_a_fake_disconnect_event_does_not_lift_the_connection_cap(
    mongodb_uri: str, database_name: str, transport: str
) -> None:
    """python-socketio would hand a client's "disconnect" event to the disconnect handler, which forgets the
    connection (and its place in the count) while it stays open. Here the sender is really disconnected."""
    async with serving(mongodb_uri, database_name, max_connections_per_ip=2) as (base_url, _):
        holder, _ = await seated(base_url, transport, "alice")
        async with RawSocket.open(base_url) as raw:
            assert (await raw.connect(await guest_token(base_url, "mallory"))).startswith("40")
            await raw.ws.send_str('42["disconnect"]')
            assert await raw.next_packet(lambda answer: answer.startswith("41")) == "41"
            second, refusal = await try_connect(base_url, await guest_token(base_url, "second"))
            assert second is not None, refusal
            third, refusal = await try_connect(base_url, await guest_token(base_url, "third"))
            assert third is None and "too many connections" in refusal["message"]
        await second.disconnect()
        await holder.client.disconnect()
