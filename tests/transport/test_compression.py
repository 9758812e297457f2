"""WS_COMPRESSION decides whether a WebSocket client offering permessage-deflate gets it."""

from __future__ import annotations

import json

import aiohttp
import pytest

from game_backend.config import Settings
from game_backend.testing import running_server

WAIT = 10


def test_compression_is_off_by_default() -> None:
    assert Settings().ws_compression is False
    assert Settings.from_env({"WS_COMPRESSION": "1"}).ws_compression is True


@pytest.mark.parametrize("enabled", [False, True], ids=["setting-off", "setting-on"])
@pytest.mark.parametrize("offered", [0, 15], ids=["client-plain", "client-offers-deflate"])
async def test_websocket_gets_compression_only_when_enabled_and_offered(
    mongodb_uri: str, database_name: str, enabled: bool, offered: int
) -> None:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, ws_compression=enabled) as url:
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(
                f"{url}/socket.io/?EIO=4&transport=websocket", compress=offered, timeout=aiohttp.ClientWSTimeout(ws_close=WAIT)
            ) as ws:
                # `compress` is what the server's handshake answer agreed to: its window bits, or 0 for none.
                assert ws.compress == (offered if enabled else 0)
                # The socket works either way: Engine.IO open, then a Socket.IO connect answered with a sid.
                opened = await ws.receive_str(timeout=WAIT)
                assert opened.startswith("0") and "sid" in json.loads(opened[1:])
                await ws.send_str("40")
                connected = await ws.receive_str(timeout=WAIT)
                assert connected.startswith("40") and "sid" in json.loads(connected[2:])
