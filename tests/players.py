"""A test player: a guest account and a python-socketio client that records what it receives."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio

WAIT = 5.0


async def guest_token(base_url: str, nickname: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/api/users/guest", json={"nickname": nickname}) as response:
            body = await response.json()
            assert response.status == 201, body
            return body["jwtoken"]


class Player:
    """One connected client. `events[name]` lists the argument tuples of every `name` received."""

    def __init__(self, nickname: str, token: str) -> None:
        self.nickname = nickname
        self.token = token
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self._arrived = asyncio.Event()
        self.client.on("*", self._record)

    async def _record(self, event: str, *args: Any) -> None:
        self.events[event].append(args)
        self._arrived.set()

    async def connect(self, base_url: str, transport: str) -> None:
        await self.client.connect(base_url, auth={"token": self.token}, transports=[transport], wait_timeout=WAIT)

    async def call(self, event: str, *args: Any) -> Any:
        """Emit `event` with a callback and return the ack."""
        data = args[0] if len(args) == 1 else (tuple(args) if args else None)
        return await self.client.call(event, data, timeout=WAIT)

    async def emit(self, event: str, data: Any = None) -> None:
        await self.client.emit(event, data)

    def last(self, event: str) -> tuple[Any, ...] | None:
        received = self.events.get(event)
        return received[-1] if received else None

    async def wait_for(
        self, event: str, where: Callable[[tuple[Any, ...]], bool] = lambda args: True, timeout: float = WAIT
    ) -> tuple[Any, ...]:
        """The first `event` received (already or later) whose arguments satisfy `where`."""
        async with asyncio.timeout(timeout):
            while True:
                for args in self.events.get(event, []):
                    if where(args):
                        return args
                self._arrived.clear()
                await self._arrived.wait()

    async def settle(self, seconds: float = 0.3) -> None:
        """Give in-flight events time to arrive, before asserting that something did not."""
        await asyncio.sleep(seconds)


class Players:
    """Creates connected players for one server and transport."""

    def __init__(self, base_url: str, transport: str) -> None:
        self.base_url = base_url
        self.transport = transport
        self.all: list[Player] = []

    async def join(self, nickname: str) -> Player:
        player = Player(nickname, await guest_token(self.base_url, nickname))
        await player.connect(self.base_url, self.transport)
        self.all.append(player)
        return player

    async def close(self) -> None:
        for player in self.all:
            if player.client.connected:
                await player.client.disconnect()


async def rest(base_url: str, method: str, path: str, token: str | None = None, body: Any = None,
               raw: bytes | None = None) -> tuple[int, Any]:
    """Call a REST route; returns the status and the decoded JSON body."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http:
        async with http.request(method, f"{base_url}{path}", json=body if raw is None else None,
                                data=raw, headers=headers) as response:
            return response.status, await response.json()
