"""Raw Engine.IO and Socket.IO traffic for the protocol tests: HTTP requests and WebSocket frames, nothing decoded for us."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from aiohttp import web

from .reference_server import SETTINGS, reference_app

WAIT = 5.0
PING_INTERVAL_MS = round(SETTINGS.ping_interval * 1000)
PING_TIMEOUT_MS = round(SETTINGS.ping_timeout * 1000)
MAX_PAYLOAD = SETTINGS.max_payload_bytes


@asynccontextmanager
async def serving(app: web.Application | None = None) -> AsyncIterator[str]:
    """The reference servers (or `app`) on a free port; yields the base URL."""
    runner = web.AppRunner(app or reference_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


class Wire:
    """Requests against one server's Engine.IO path (`/engine.io/` or `/socket.io/`)."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, path: str) -> None:
        self.http = http
        self.url = f"{base_url}{path}"

    async def request(self, method: str, query: str, body: str | bytes | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, str]:
        async with self.http.request(method, f"{self.url}?{query}", data=body, headers=headers) as response:
            return response.status, await response.text()

    async def handshake(self) -> dict[str, Any]:
        status, body = await self.request("GET", "EIO=4&transport=polling")
        assert status == 200 and body.startswith("0"), (status, body)
        return json.loads(body[1:])

    async def session(self) -> str:
        return (await self.handshake())["sid"]

    async def poll(self, sid: str) -> tuple[int, str]:
        return await self.request("GET", f"EIO=4&transport=polling&sid={sid}")

    async def post(self, sid: str, body: str) -> tuple[int, str]:
        return await self.request("POST", f"EIO=4&transport=polling&sid={sid}", body)

    @asynccontextmanager
    async def websocket(self, query: str = "EIO=4&transport=websocket") -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
        async with self.http.ws_connect(f"{self.url}?{query}".replace("http", "ws", 1), autoping=True) as ws:
            yield ws


async def next_frame(ws: aiohttp.ClientWebSocketResponse, *, skip_pings: bool = False) -> str | bytes | None:
    """The next message's data, or None once the server has closed the connection."""
    while True:
        message = await ws.receive(timeout=WAIT)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return None
        if skip_pings and message.data == "2":
            continue
        return message.data


async def closed(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """Whether the server closes the connection (reading and dropping anything before the close)."""
    try:
        async with asyncio.timeout(WAIT):
            while await next_frame(ws) is not None:
                pass
    except TimeoutError:
        return False
    return True


async def socketio_connection(wire: Wire, connect: str = "40") -> aiohttp.ClientWebSocketResponse:
    """Not a context manager: the caller closes it. Engine.IO open, then the CONNECT exchange and the auth echo."""
    ws = await wire.http.ws_connect(f"{wire.url}?EIO=4&transport=websocket".replace("http", "ws", 1))
    assert str(await next_frame(ws)).startswith("0")
    await ws.send_str(connect)
    assert str(await next_frame(ws, skip_pings=True)).startswith("40")
    assert '"auth"' in str(await next_frame(ws, skip_pings=True))
    return ws
