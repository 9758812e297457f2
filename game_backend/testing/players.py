"""Test players: guest accounts on python-socketio clients that record every event they receive.

    group = Players(base_url)                      # transport "websocket" (or "polling")
    ann = await group.join("ann")                  # signed in as a guest and connected
    ack = await ann.call("joinRoom", {"nickname": "ann", "code": code})
    players = await ann.expect(f"players{code}")   # the payload, or a failure that lists what did arrive
    room = await seat_room(group, 3)               # three players seated in a new room

    notes = await ann.load(code)                   # playerLoaded: ann's part, [{time, motion}]
    await ann.sync_clock()                         # the server's clock, as NTP measures it
    ack = await ann.press_on(code, start_time, notes[0]["time"])   # a press on the note: judged "perfect"

Failures read as sentences: `expect` that times out says which events the
player received instead; a refused ack says its code and message.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import socketio

WAIT = 5.0
Args = tuple[Any, ...]


async def rest(
    base_url: str, method: str, path: str, token: str | None = None, body: Any = None, raw: bytes | None = None
) -> tuple[int, Any]:
    """Call a REST route; returns the status and the decoded JSON body."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method, f"{base_url}{path}", json=body if raw is None else None, data=raw, headers=headers
        ) as response,
    ):
        return response.status, await response.json()


async def guest_token(base_url: str, nickname: str) -> str:
    """Sign in as a guest; returns the token for the handshake's `auth`."""
    status, body = await rest(base_url, "POST", "/api/users/guest", body={"nickname": nickname})
    if status != 201:
        raise AssertionError(f"the guest sign-in of {nickname!r} was refused with {status}: {body}")
    token: str = body["jwtoken"]
    return token


class Player:
    """One connected client. `events[name]` lists the argument tuples of every `name` received, in order."""

    def __init__(self, nickname: str, token: str) -> None:
        self.nickname = nickname
        self.token = token
        self.client = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Args]] = defaultdict(list)
        self.received: list[tuple[str, Args]] = []  # every event, in the order it arrived
        self._arrived = asyncio.Event()
        self.client.on("*", self._record)
        self.clock_offset = 0.0  # ms to add to `clock()` to read the server's clock (`sync_clock`)

    async def _record(self, event: str, *args: Any) -> None:
        self.events[event].append(args)
        self.received.append((event, args))
        self._arrived.set()

    async def connect(self, base_url: str, transport: str = "websocket") -> None:
        await self.client.connect(base_url, auth={"token": self.token}, transports=[transport], wait_timeout=WAIT)

    async def call(self, event: str, *args: Any, timeout: float = WAIT) -> Any:
        """Emit `event` with a callback and return the ack."""
        data = args[0] if len(args) == 1 else (tuple(args) if args else None)
        try:
            return await self.client.call(event, data, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            raise AssertionError(f"{self.nickname}'s {event!r} got no ack within {timeout:g} s") from None

    async def act(self, event: str, *args: Any) -> dict[str, Any]:
        """`call`, and the ack must be `{ok: true, ...}`; otherwise fail saying the code and message."""
        ack = await self.call(event, *args)
        if not (isinstance(ack, dict) and ack.get("ok") is True):
            raise AssertionError(f"{self.nickname}'s {event!r} was refused: {ack}")
        return ack

    async def emit(self, event: str, data: Any = None) -> None:
        await self.client.emit(event, data)

    def clock(self) -> float:
        """This player's own clock: epoch milliseconds."""
        return time.time() * 1000

    def server_now(self) -> float:
        """The server's clock as this player reads it, once `sync_clock` has measured the offset."""
        return self.clock() + self.clock_offset

    async def sync_clock(self, samples: int = 5) -> float:
        """Measure the server's clock as NTP does: `samples` clockSync round trips, and the offset measured by
        the fastest. Returns the offset (ms)."""
        fastest: tuple[float, float] | None = None
        for _ in range(samples):
            sent = self.clock()
            server_time = (await self.act("clockSync", {"clientTime": sent}))["serverTime"]
            back = self.clock()
            if fastest is None or back - sent < fastest[0]:
                fastest = (back - sent, server_time - (sent + back) / 2)
        assert fastest is not None
        self.clock_offset = fastest[1]
        return self.clock_offset

    async def load(self, code: str) -> list[dict[str, Any]]:
        """`playerLoaded`; returns this player's part of the chart: `{time, motion}` notes, ms from the start."""
        notes: list[dict[str, Any]] = (await self.act("playerLoaded", {"nickname": self.nickname, "code": code}))[
            "part"
        ]["notes"]
        return notes

    async def press(self, code: str, start_time: int, at: float | None = None, **fields: Any) -> Any:
        """Press `at` ms into the round that started at `start_time` (by default: now, on the synced clock);
        returns the ack: `{ok, judgement, score, combo}`, or the refusal."""
        if at is None:
            at = self.server_now() - start_time
        return await self.call("press", {"code": code, "at": at, **fields})

    async def press_on(self, code: str, start_time: int, note_time: int, **fields: Any) -> Any:
        """Wait until `note_time` ms into the round (on the synced clock), then press."""
        await asyncio.sleep(max(0.0, (start_time + note_time - self.server_now()) / 1000))
        return await self.press(code, start_time, **fields)

    def last(self, event: str) -> Args | None:
        received = self.events.get(event)
        return received[-1] if received else None

    async def wait_for(
        self, event: str, where: Callable[[Args], bool] = lambda args: True, timeout: float = WAIT
    ) -> Args:
        """The arguments of the first `event` received (already or later) that satisfy `where`."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for args in self.events.get(event, []):
                        if where(args):
                            return args
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            raise AssertionError(self._missing(event, timeout, where_given=event in self.events)) from None

    async def expect(
        self, event: str, where: Callable[[Any], bool] = lambda payload: True, timeout: float = WAIT
    ) -> Any:
        """The payload of the first `event` (already received or later) that satisfies `where`: its one
        argument, or a tuple of its arguments when it has several (None when it has none)."""
        args = await self.wait_for(event, lambda received: where(_payload(received)), timeout)
        return _payload(args)

    def _missing(self, event: str, timeout: float, where_given: bool) -> str:
        what = f"{event!r} that matched" if where_given else repr(event)
        if not self.received:
            return f"{self.nickname} received no {what} within {timeout:g} s; it received no event at all"
        seen = "; ".join(f"{name} {_short(args)}" for name, args in self.received[-10:])
        more = f" (the last 10 of {len(self.received)})" if len(self.received) > 10 else ""
        return f"{self.nickname} received no {what} within {timeout:g} s; it received{more}: {seen}"

    async def settle(self, seconds: float = 0.3) -> None:
        """Give in-flight events time to arrive, before asserting that something did not."""
        await asyncio.sleep(seconds)

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()


def _payload(args: Args) -> Any:
    return args[0] if len(args) == 1 else (args or None)


def _short(args: Args, limit: int = 120) -> str:
    text = repr(_payload(args))
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Players:
    """Creates signed-in, connected players for one server and transport; `close` disconnects them all."""

    def __init__(self, base_url: str, transport: str = "websocket") -> None:
        self.base_url = base_url
        self.transport = transport
        self.all: list[Player] = []

    async def join(self, nickname: str) -> Player:
        player = Player(nickname, await guest_token(self.base_url, nickname))
        await player.connect(self.base_url, self.transport)
        self.all.append(player)
        return player

    async def __call__(self, nickname: str) -> Player:
        return await self.join(nickname)

    async def close(self) -> None:
        for player in self.all:
            await player.close()


def _nicknames(who: tuple[str | int, ...]) -> list[str]:
    """`(3,)` -> player1..player3; `("ann", "bob")` -> as given."""
    if len(who) == 1 and isinstance(who[0], int) and who[0] > 0:
        return [f"player{n}" for n in range(1, who[0] + 1)]
    nicknames = [name for name in who if isinstance(name, str)]
    if not nicknames or len(nicknames) != len(who):
        raise ValueError("seat_room takes a number of players or their nicknames")
    return nicknames


@dataclass
class SeatedRoom:
    """A room and its players, the first of them its host, each seated and following its events."""

    code: str
    players: list[Player]

    @property
    def host(self) -> Player:
        return self.players[0]


async def seat_room(group: Players, *who: str | int) -> SeatedRoom:
    """A new room with its players seated: `seat_room(group, 3)` (player1..player3) or
    `seat_room(group, "ann", "bob")`. The first is the host; returns once all see all seated."""
    players = [await group.join(name) for name in _nicknames(who)]
    status, room = await rest(group.base_url, "POST", "/api/rooms/create", players[0].token, {})
    if status != 201:
        raise AssertionError(f"{players[0].nickname} could not create a room: {status} {room}")
    code = room["code"]
    for player in players:
        await player.act("joinRoom", {"nickname": player.nickname, "code": code})
    for player in players:
        await player.expect(f"players{code}", lambda seated: len(seated) == len(players))
    return SeatedRoom(code, players)
