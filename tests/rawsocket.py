"""A bare Engine.IO WebSocket joined to the Socket.IO namespace: the cheapest client there is, for floods and
storms of many at once."""

from __future__ import annotations

import json

import aiohttp


async def websocket(http: aiohttp.ClientSession, url: str, token: str | None) -> aiohttp.ClientWebSocketResponse:
    """An Engine.IO WebSocket that has joined the Socket.IO namespace (signed in when given a token); a refused
    join raises AssertionError with the CONNECT_ERROR's data."""
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket".replace("http", "ws", 1))
    assert (await ws.receive_str()).startswith("0")
    await ws.send_str("40" + (json.dumps({"token": token}) if token else ""))
    while True:
        answer = await ws.receive_str()
        if answer.startswith("44"):
            raise AssertionError(f"the connection was refused: {answer[2:]}")
        if answer.startswith("40"):
            return ws
