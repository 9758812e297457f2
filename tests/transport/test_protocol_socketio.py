"""The Socket.IO v5 protocol, behaviour by behaviour, against the reference server at /socket.io/.

Each test follows a rule of the protocol's README (github.com/socketio/socket.io-protocol):
joining namespaces (and being refused), leaving them, events, binary
attachments and acks, and what a malformed packet costs its sender. The
reference server is this project's own `create_socketio_server(settings)`
with the handlers the official suite expects (tests/conformance/reference_server.py).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from game_backend.config import Settings

from ..conformance.reference_server import SETTINGS, reference_app
from ..conformance.wire import Wire, closed, next_frame, serving, socketio_connection


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    async with serving() as base_url, aiohttp.ClientSession() as http:
        yield Wire(http, base_url, "/socket.io/")


async def opened(wire: Wire) -> aiohttp.ClientWebSocketResponse:
    ws = await wire.http.ws_connect(f"{wire.url}?EIO=4&transport=websocket".replace("http", "ws", 1))
    assert str(await next_frame(ws)).startswith("0")
    return ws


@pytest.mark.parametrize(("connect", "prefix", "auth"), [
    ("40", "40", {}),
    ('40{"token":"123"}', "40", {"token": "123"}),
    ("40/custom,", "40/custom,", {}),
    ('40/custom,{"token":"abc"}', "40/custom,", {"token": "abc"}),
], ids=["main", "main with auth", "custom", "custom with auth"])
async def test_connect_is_answered_first_then_the_handlers_emits(
    wire: Wire, connect: str, prefix: str, auth: dict[str, Any]
) -> None:
    ws = await opened(wire)
    await ws.send_str(connect)
    answer = str(await next_frame(ws, skip_pings=True))
    assert answer.startswith(prefix)
    assert set(json.loads(answer[len(prefix):])) == {"sid"}
    # The connect handler emitted "auth" before returning; CONNECT still went out first.
    namespace = prefix[2:]
    assert await next_frame(ws, skip_pings=True) == f'42{namespace}["auth",{json.dumps(auth, separators=(",", ":"))}]'
    await ws.close()


async def test_an_unknown_namespace_is_refused_with_an_object(wire: Wire) -> None:
    ws = await opened(wire)
    await ws.send_str("40/random")
    assert await next_frame(ws, skip_pings=True) == '44/random,{"message":"Invalid namespace"}'
    await ws.close()


@pytest.mark.parametrize("connect", ["4abc", '40"a string"', "40[1]"])
async def test_an_invalid_connect_closes_the_connection(wire: Wire, connect: str) -> None:
    ws = await opened(wire)
    await ws.send_str(connect)
    assert await closed(ws)


async def test_a_connection_that_joins_no_namespace_is_closed_after_the_connect_timeout() -> None:
    """With a heartbeat far longer than the test, only the connect timeout can close it."""
    settings = Settings(ping_interval=60, ping_timeout=60, connect_timeout=0.3)
    async with serving(reference_app(settings)) as base_url, aiohttp.ClientSession() as http:
        wire = Wire(http, base_url, "/socket.io/")
        ws = await opened(wire)
        assert await closed(ws)


async def test_leaving_the_main_namespace_keeps_the_connection(wire: Wire) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str("41")
    assert await next_frame(ws) == "2"  # the next thing is a ping: still connected
    await ws.close()


async def test_leaving_a_custom_namespace_keeps_the_main_one(wire: Wire) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str("40/custom")
    assert str(await next_frame(ws, skip_pings=True)).startswith("40/custom,")
    assert await next_frame(ws, skip_pings=True) == '42/custom,["auth",{}]'
    await ws.send_str("41/custom")
    await ws.send_str('42["message","message to main namespace"]')
    assert await next_frame(ws, skip_pings=True) == '42["message-back","message to main namespace"]'
    await ws.close()


async def test_an_event_with_several_arguments_comes_back(wire: Wire) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str('42["message",1,"2",{"3":[true]}]')
    assert await next_frame(ws, skip_pings=True) == '42["message-back",1,"2",{"3":[true]}]'
    await ws.close()


async def test_binary_attachments_come_back_as_attachments(wire: Wire) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    await ws.send_bytes(b"\x01\x02\x03")
    await ws.send_bytes(b"\x04\x05\x06")
    assert await next_frame(ws, skip_pings=True) == (
        '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    assert await next_frame(ws, skip_pings=True) == b"\x01\x02\x03"
    assert await next_frame(ws, skip_pings=True) == b"\x04\x05\x06"
    await ws.close()


async def test_an_event_with_an_ack_id_is_acked(wire: Wire) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str('42456["message-with-ack",1,"2",{"3":[false]}]')
    assert await next_frame(ws, skip_pings=True) == '43456[1,"2",{"3":[false]}]'
    await ws.close()


async def test_a_binary_event_with_an_ack_id_gets_a_binary_ack(wire: Wire) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    await ws.send_bytes(b"\x01\x02\x03")
    await ws.send_bytes(b"\x04\x05\x06")
    assert await next_frame(ws, skip_pings=True) == '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    assert await next_frame(ws, skip_pings=True) == b"\x01\x02\x03"
    assert await next_frame(ws, skip_pings=True) == b"\x04\x05\x06"
    await ws.close()


@pytest.mark.parametrize("packet", [
    "4abc",  # unknown packet type
    "42{}",  # an event's data must be an array
    '42abc["message-with-ack",1,"2",{"3":[false]}]',  # an ack id is digits
    '42["disconnect"]',  # a reserved event name
    "41{}",  # DISCONNECT carries no data
    "451234567890-[\"message\"]",  # far more attachments than allowed
    "44{}",  # CONNECT_ERROR only goes from server to client
], ids=["unknown type", "not an array", "bad ack id", "reserved name", "data on disconnect", "attachments",
        "connect error"])
async def test_a_malformed_packet_closes_the_connection(wire: Wire, packet: str) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str(packet)
    assert await closed(ws)


async def test_binary_attachments_over_max_payload_close_the_connection() -> None:
    settings = SETTINGS.replace(max_payload_bytes=10_000)
    async with serving(reference_app(settings)) as base_url, aiohttp.ClientSession() as http:
        wire = Wire(http, base_url, "/socket.io/")
        ws = await socketio_connection(wire)
        await ws.send_str('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
        await ws.send_bytes(b"x" * 6_000)
        await ws.send_bytes(b"x" * 6_000)  # each under the limit, together over it
        assert await closed(ws)


async def test_text_where_an_attachment_is_due_closes_the_connection(wire: Wire) -> None:
    ws = await socketio_connection(wire)
    await ws.send_str('451-["message",{"_placeholder":true,"num":0}]')
    await ws.send_str('42["message","not an attachment"]')
    assert await closed(ws)
