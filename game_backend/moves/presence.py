"""Who is online, told to those who care: the players who count someone as a friend, and the room they sit in.

A change of status (`userStatus {nickname, online}`) used to go to every
socket, so a storm of N connections cost N x N messages. Here it goes to the
room `watch:<nickname>` (which the sockets of that player's followers join
when they connect) and to the player's game room, and changes that come
within COALESCE_SECONDS of each other go out once, with the latest status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from .. import announce
from ..transport.socketio.server import SocketServer

COALESCE_SECONDS = 0.05


class Presence:
    def __init__(self, sio: SocketServer) -> None:
        self.sio = sio
        self._pending: dict[str, tuple[bool, frozenset[str]]] = {}
        self._flushing: asyncio.Task[None] | None = None

    def changed(self, nickname: str, online: bool, rooms: Sequence[str] = ()) -> None:
        """`nickname` came online or went offline; the game rooms they sit in hear it too."""
        earlier = self._pending.get(nickname)
        self._pending[nickname] = (online, frozenset(rooms) | (earlier[1] if earlier else frozenset()))
        if self._flushing is None:
            self._flushing = asyncio.ensure_future(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        pending, self._pending = self._pending, {}
        self._flushing = None
        for nickname, (online, rooms) in pending.items():
            await announce.user_status(self.sio, nickname, online, rooms)
