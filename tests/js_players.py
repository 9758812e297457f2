"""JavaScript test players: each one is a Node process running tests/js/player.mjs with the real socket.io-client.

The test drives it over stdin (emit, ask for the transport, disconnect) and
reads what it reports on stdout, one JSON record per line: connect, upgrade,
connect_error, disconnect, every event with its arguments as the listener got
them, and every ack with the callback's arguments.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from game_backend.testing import WAIT, guest_token

HARNESS = Path(__file__).parent / "js"
Record = dict[str, Any]


def node_binary() -> str:
    """Node.js and the harness's node_modules, or a clear failure saying how to get them."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed for the JavaScript client tests: install nodejs and npm")
    if not (HARNESS / "node_modules" / "socket.io-client").is_dir():
        raise RuntimeError("the JavaScript harness is not installed: run `make test` (or `npm ci` in tests/js)")
    return node


class JsPlayer:
    """One socket.io-client in its own Node process. `records` lists everything it reported, in order."""

    def __init__(self, nickname: str, token: str | None, process: asyncio.subprocess.Process) -> None:
        self.nickname = nickname
        self.token = token
        self.process = process
        self.records: list[Record] = []
        self._arrived = asyncio.Event()
        self._next_id = 0
        self.frozen = False
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, base_url: str, nickname: str, token: str | None, **options: Any) -> JsPlayer:
        """Start a player; `options` go to the client: client ("v4"/"v3"), transports, extraHeaders, reconnection."""
        config = {"url": base_url, "token": token, **options}
        process = await asyncio.create_subprocess_exec(
            node_binary(), str(HARNESS / "player.mjs"), json.dumps(config),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        return cls(nickname, token, process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.records.append(json.loads(line))
            self._arrived.set()
        self.records.append({"type": "exit"})
        self._arrived.set()

    async def record(self, where: Callable[[Record], bool], timeout: float = WAIT) -> Record:
        """The first record (already reported or later) that satisfies `where`."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for item in self.records:
                        if where(item):
                            return item
                    if self.records and self.records[-1]["type"] == "exit":
                        raise AssertionError(f"{self.nickname}'s Node process ended: {await self._stderr()}")
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            raise AssertionError(f"{self.nickname} never reported the awaited record; got {self.records}") from None

    async def _stderr(self) -> str:
        assert self.process.stderr is not None
        return (await self.process.stderr.read()).decode(errors="replace")

    async def connected(self) -> Record:
        """The connect record; fails if the connection was refused."""
        outcome = await self.record(lambda r: r["type"] in ("connect", "connect_error"))
        assert outcome["type"] == "connect", f"{self.nickname} could not connect: {outcome}"
        return outcome

    def events(self, event: str) -> list[list[Any]]:
        """The argument lists of every `event` received so far."""
        return [r["args"] for r in self.records if r["type"] == "event" and r["event"] == event]

    async def wait_for(self, event: str, where: Callable[[list[Any]], bool] = lambda args: True) -> list[Any]:
        """The arguments of the first `event` (already received or later) that satisfy `where`."""
        found = await self.record(lambda r: r["type"] == "event" and r["event"] == event and where(r["args"]))
        return found["args"]

    async def _command(self, op: str, **fields: Any) -> int:
        self._next_id += 1
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"id": self._next_id, "op": op, **fields}) + "\n").encode())
        await self.process.stdin.drain()
        return self._next_id

    async def emit(self, event: str, *args: Any) -> None:
        await self._command("emit", event=event, args=list(args), ack=False)

    async def call_args(self, event: str, *args: Any) -> list[Any]:
        """Emit `event` with a callback; return every argument the callback received."""
        command = await self._command("emit", event=event, args=list(args), ack=True)
        found = await self.record(lambda r: r["type"] == "ack" and r["id"] == command)
        return found["args"]

    async def call(self, event: str, *args: Any) -> Any:
        """Emit `event` with a callback; return the ack, which must be the callback's only argument."""
        received = await self.call_args(event, *args)
        assert len(received) == 1, f"{event}'s callback got {len(received)} arguments: {received}"
        return received[0]

    async def drop(self) -> None:
        """Lose the connection as a network failure would (the client's reason: "transport close")."""
        await self._command("drop")

    async def reconnect(self) -> None:
        """Connect again after a drop (for a player started with reconnection off)."""
        await self._command("connect")

    async def reconnect_with_offset(self, offset: str) -> None:
        """Connect again, asking to recover the session from `offset` instead of the last one received."""
        await self._command("connect", offset=offset)

    async def transport(self) -> str:
        """The Engine.IO transport the client is using now: "polling" or "websocket"."""
        command = await self._command("transport")
        return (await self.record(lambda r: r["type"] == "reply" and r["id"] == command))["transport"]

    def freeze(self) -> None:
        """Stop the Node process (SIGSTOP) without closing its sockets, like a laptop that went to sleep."""
        self.process.send_signal(signal.SIGSTOP)
        self.frozen = True

    async def close(self) -> None:
        """Disconnect politely (end of input), or kill the process if it does not end by itself."""
        if self.frozen and self.process.returncode is None:
            self.process.kill()
        elif self.process.returncode is None and self.process.stdin is not None:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(WAIT):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await self._reader


class JsPlayers:
    """Creates JavaScript players for one server; stops them all at the end."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.all: list[JsPlayer] = []

    async def start(self, nickname: str, token: str | None = None, **options: Any) -> JsPlayer:
        """A player that may or may not connect (see `connected`)."""
        if token is None:
            token = await guest_token(self.base_url, nickname)
        player = await JsPlayer.start(self.base_url, nickname, token, **options)
        self.all.append(player)
        return player

    async def start_anonymous(self, **options: Any) -> JsPlayer:
        """A player that connects without a token."""
        player = await JsPlayer.start(self.base_url, "anonymous", None, **options)
        self.all.append(player)
        return player

    async def join(self, nickname: str, **options: Any) -> JsPlayer:
        """A signed-in guest, connected."""
        player = await self.start(nickname, **options)
        await player.connected()
        return player

    async def close(self) -> None:
        for player in self.all:
            await player.close()


@pytest.fixture
async def js(server: str) -> AsyncIterator[JsPlayers]:
    """JavaScript players for the `server` fixture's server."""
    group = JsPlayers(server)
    yield group
    await group.close()
