"""The Engine.IO v4 protocol, behaviour by behaviour, against the reference echo server at /engine.io/.

Each test follows a rule of the protocol's README (github.com/socketio/engine.io-protocol):
the handshake and its errors, packets and payloads over both transports, the
heartbeat, closing, and the upgrade. The official suite checks the same
behaviours; see the README's "Protocol conformance" for running it by hand.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from ..conformance.wire import MAX_PAYLOAD, PING_INTERVAL_MS, PING_TIMEOUT_MS, Wire, closed, next_frame, serving

PING_CYCLE = (PING_INTERVAL_MS + PING_TIMEOUT_MS) / 1000


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    async with serving() as base_url, aiohttp.ClientSession() as http:
        yield Wire(http, base_url, "/engine.io/")


async def test_a_polling_handshake_opens_a_session_with_its_parameters(wire: Wire) -> None:
    opened = await wire.handshake()
    assert set(opened) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert isinstance(opened["sid"], str) and opened["upgrades"] == ["websocket"]
    # A sub-second interval is announced as it is (300), not rounded down to whole seconds (0).
    assert (opened["pingInterval"], opened["pingTimeout"], opened["maxPayload"]) == (
        PING_INTERVAL_MS, PING_TIMEOUT_MS, MAX_PAYLOAD)


async def test_a_websocket_handshake_opens_a_session_without_upgrades(wire: Wire) -> None:
    async with wire.websocket() as ws:
        first = str(await next_frame(ws))
        assert first.startswith("0")
        opened = json.loads(first[1:])
        assert opened["upgrades"] == [] and opened["pingInterval"] == PING_INTERVAL_MS


@pytest.mark.parametrize("query", ["transport=polling", "EIO=abc&transport=polling", "EIO=3&transport=polling"])
async def test_a_handshake_without_protocol_4_is_refused(wire: Wire, query: str) -> None:
    status, body = await wire.request("GET", query)
    assert status == 400 and '"code":5' in body.replace(" ", "")


@pytest.mark.parametrize("query", ["EIO=4", "EIO=4&transport=abc"])
async def test_an_unknown_transport_is_refused(wire: Wire, query: str) -> None:
    status, body = await wire.request("GET", query)
    assert status == 400 and '"code":0' in body.replace(" ", "")


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_a_handshake_is_a_get(wire: Wire, method: str) -> None:
    status, body = await wire.request(method, "EIO=4&transport=polling")
    assert status == 400 and '"code":2' in body.replace(" ", "")


@pytest.mark.parametrize("query", ["transport=websocket", "EIO=abc&transport=websocket", "EIO=4", "EIO=4&transport=abc"])
async def test_a_websocket_with_a_bad_query_is_refused(wire: Wire, query: str) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with wire.websocket(query):
            pass
    assert refused.value.status == 400


async def test_an_unknown_session_is_refused(wire: Wire) -> None:
    status, body = await wire.poll("no-such-session")
    assert status == 400 and '"code":1' in body.replace(" ", "")


@pytest.mark.parametrize("payload", ["4hello", "4test1\x1e4test2\x1e4test3", "4hello\x1ebAQIDBA=="],
                         ids=["one packet", "several packets", "text and binary"])
async def test_a_polling_payload_goes_out_and_comes_back(wire: Wire, payload: str) -> None:
    sid = await wire.session()
    assert await wire.post(sid, payload) == (200, "ok")
    assert await wire.poll(sid) == (200, payload)


async def test_a_malformed_polling_payload_closes_the_session(wire: Wire) -> None:
    sid = await wire.session()
    status, _ = await wire.post(sid, "abc")
    assert status == 400
    assert (await wire.poll(sid))[0] == 400


async def test_a_second_waiting_poll_closes_the_session(wire: Wire) -> None:
    sid = await wire.session()
    first = asyncio.ensure_future(wire.poll(sid))
    await asyncio.sleep(0.05)
    second = await wire.request("GET", f"EIO=4&transport=polling&sid={sid}&t=burst")
    assert await first == (200, "1")  # the waiting GET is told the session is closed
    assert second[0] == 400
    assert (await wire.poll(sid))[0] == 400


async def test_a_websocket_carries_text_and_binary(wire: Wire) -> None:
    async with wire.websocket() as ws:
        await next_frame(ws)
        await ws.send_str("4hello")
        assert await next_frame(ws, skip_pings=True) == "4hello"
        await ws.send_bytes(b"\x01\x02\x03\x04")
        assert await next_frame(ws, skip_pings=True) == b"\x01\x02\x03\x04"


async def test_a_malformed_websocket_packet_closes_the_session(wire: Wire) -> None:
    async with wire.websocket() as ws:
        await next_frame(ws)
        await ws.send_str("abc")
        assert await closed(ws)


async def test_polling_heartbeat_pings_and_takes_pongs(wire: Wire) -> None:
    sid = await wire.session()
    for _ in range(3):
        assert await wire.poll(sid) == (200, "2")
        assert await wire.post(sid, "3") == (200, "ok")


async def test_a_silent_polling_client_is_closed_on_its_ping_timeout(wire: Wire) -> None:
    sid = await wire.session()
    await asyncio.sleep(PING_CYCLE + 0.05)  # a timer closes it: no periodic sweep to wait for
    assert (await wire.poll(sid))[0] == 400


async def test_websocket_heartbeat_pings_and_takes_pongs(wire: Wire) -> None:
    async with wire.websocket() as ws:
        await next_frame(ws)
        for _ in range(3):
            assert await next_frame(ws) == "2"
            await ws.send_str("3")
        assert not ws.closed


async def test_a_silent_websocket_client_is_closed_on_its_ping_timeout(wire: Wire) -> None:
    async with wire.websocket() as ws:
        await next_frame(ws)
        assert await next_frame(ws) == "2"  # and no pong
        assert await closed(ws)


async def test_a_polling_client_closes_its_session(wire: Wire) -> None:
    sid = await wire.session()
    waiting = asyncio.ensure_future(wire.poll(sid))
    await asyncio.sleep(0.05)
    assert await wire.post(sid, "1") == (200, "ok")
    assert await waiting == (200, "6")  # the waiting GET ends with a NOOP
    assert (await wire.poll(sid))[0] == 400


async def test_a_websocket_client_closes_its_session(wire: Wire) -> None:
    async with wire.websocket() as ws:
        await next_frame(ws)
        await ws.send_str("1")
        assert await closed(ws)


async def test_a_polling_session_upgrades_to_websocket(wire: Wire) -> None:
    sid = await wire.session()
    async with wire.websocket(f"EIO=4&transport=websocket&sid={sid}") as ws:
        await ws.send_str("2probe")
        assert await next_frame(ws) == "3probe"
        status, body = await wire.poll(sid)
        while body == "2":  # a PING fell due first (every 300 ms here) and went out on the polling side
            assert await wire.post(sid, "3") == (200, "ok")
            status, body = await wire.poll(sid)
        assert (status, body) == (200, "6")  # a NOOP ends the polling side
        await ws.send_str("5")
        await ws.send_str("4hello")
        assert await next_frame(ws, skip_pings=True) == "4hello"


async def test_after_the_upgrade_polling_requests_are_refused(wire: Wire) -> None:
    sid = await wire.session()
    async with wire.websocket(f"EIO=4&transport=websocket&sid={sid}") as ws:
        await ws.send_str("2probe")
        await ws.send_str("5")
        assert await next_frame(ws) == "3probe"
        assert (await wire.poll(sid))[0] == 400
        await ws.send_str("4hello")
        assert await next_frame(ws, skip_pings=True) == "4hello"


async def test_after_the_upgrade_a_second_websocket_is_turned_away(wire: Wire) -> None:
    sid = await wire.session()
    async with wire.websocket(f"EIO=4&transport=websocket&sid={sid}") as ws:
        await ws.send_str("2probe")
        await ws.send_str("5")
        assert await next_frame(ws) == "3probe"
        async with wire.websocket(f"EIO=4&transport=websocket&sid={sid}") as second:
            assert await closed(second)
        await ws.send_str("4hello")
        assert await next_frame(ws, skip_pings=True) == "4hello"


async def test_packets_queued_before_the_upgrade_arrive_first_and_in_order(wire: Wire) -> None:
    sid = await wire.session()
    async with wire.websocket(f"EIO=4&transport=websocket&sid={sid}") as ws:
        await ws.send_str("2probe")
        assert await next_frame(ws) == "3probe"
        assert await wire.poll(sid) == (200, "6")
        assert await wire.post(sid, "4one\x1e4two") == (200, "ok")  # echoed into the polling outbox
        await ws.send_str("5")
        await ws.send_str("4three")
        echoed = [await next_frame(ws, skip_pings=True) for _ in range(3)]
        assert echoed == ["4one", "4two", "4three"]


async def test_a_polling_body_over_max_payload_is_refused_and_closes_the_session(wire: Wire) -> None:
    sid = await wire.session()
    status, _ = await wire.post(sid, "4" + "x" * MAX_PAYLOAD)
    assert status == 413
    assert (await wire.poll(sid))[0] == 400
