"""Room emits encoded once and written to each recipient in one pass: the client manager for a single process.

python-socketio's AsyncManager.emit encodes a packet once, then starts one
asyncio task per recipient and waits for them all. Handing a packet to a
session never waits (see session.py), so those tasks buy nothing and cost a
task, a done callback and a wait for each delivered message: on `hit`,
relayed to three players dozens of times a second each, that was a tenth of
the server's time. Here (delivery.py, compiled) the packet is encoded once
(`parts`: its text, then any binary attachments), down to its WebSocket frame,
and that same frame is written for every recipient on a WebSocket; a recipient
on long-polling gets the encoded packet queued. cluster/redis_manager.py hands
the same parts to Redis.

Emits that carry a callback are the library's.
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio import packet

from . import delivery
from .delivery import Journal, Onward, Parts


class SocketIndex:
    """Plain dicts beside python-socketio's rooms, for the questions every `hit` asks of them.

    python-socketio keeps its rooms as bidicts (namespace -> room -> socket -> session), in pure Python, and
    maps rooms to sockets only. The compiled hot path reads these instead, without a Python call:

    - `joined[(namespace, sid)]`: the rooms (other than its own) a socket of this process is in: whether it
      follows a room (announce.follows), and its rooms without scanning every room of the namespace;
    - `connected_sids[namespace][eio_sid]`: the socket a session has in a namespace, while python-socketio's
      `is_connected` says it is connected: from the end of its connect handler until its disconnect begins (the
      packet reader, before an inline event);
    - `members[namespace][room]`: a room's sockets and their sessions, as in python-socketio's rooms (a room
      emit's recipients, delivery.deliver).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.joined: dict[tuple[str, str], set[str]] = {}
        self.connected_sids: dict[str, dict[str, str]] = {}
        self.members: dict[str, dict[Any, dict[str, str]]] = {}

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # type: ignore[misc]
        if eio_sid is None:
            eio_sid = self.rooms[namespace][room][sid]  # type: ignore[attr-defined]
        self.members.setdefault(namespace, {}).setdefault(room, {})[sid] = eio_sid
        if room is not None and room != sid:
            self.joined.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        rooms = self.members.get(namespace)
        members = rooms.get(room) if rooms is not None else None
        if rooms is not None and members is not None and members.pop(sid, None) is not None and not members:
            del rooms[room]
            if not rooms:
                del self.members[namespace]
        joined = self.joined.get((namespace, sid))
        if joined is not None:
            joined.discard(room)
            if not joined:
                del self.joined[(namespace, sid)]

    def rooms_of(self, sid: str, namespace: str = "/") -> frozenset[str]:
        """The rooms (other than its own) a socket of this process is in."""
        return frozenset(self.joined.get((namespace, sid), ()))

    async def connect(self, sid: str, namespace: str) -> str:
        sid = await super().connect(sid, namespace)  # type: ignore[misc]
        eio_sid = self.eio_sid_from_sid(sid, namespace)  # type: ignore[attr-defined]
        if eio_sid is not None and self.is_connected(sid, namespace):  # type: ignore[attr-defined]
            self.connected_sids.setdefault(namespace, {})[eio_sid] = sid
        return sid

    def pre_disconnect(self, sid: str, namespace: str) -> str | None:
        eio_sid: str | None = super().pre_disconnect(sid, namespace)  # type: ignore[misc]
        self._disconnecting(sid, namespace, eio_sid)
        return eio_sid

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        self._disconnecting(sid, namespace, self.eio_sid_from_sid(sid, namespace))  # type: ignore[attr-defined]
        super().basic_disconnect(sid, namespace, **kwargs)  # type: ignore[misc]

    def _disconnecting(self, sid: str, namespace: str, eio_sid: str | None) -> None:
        sessions = self.connected_sids.get(namespace)
        if sessions is not None and eio_sid is not None and sessions.get(eio_sid) == sid:
            del sessions[eio_sid]
            if not sessions:
                del self.connected_sids[namespace]


class FanoutManager(SocketIndex, socketio.AsyncManager):
    journal: Journal | None = None
    onward: Onward | None = None  # one process: an emit goes nowhere else
    metrics: Any = None  # operations.metrics.Metrics with METRICS on: room emits, delivered messages, Redis

    def is_local(self, sid: str, namespace: str) -> bool:
        return bool(self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace))

    async def reachable(self) -> bool:
        """Whether what this manager relies on answers (one process relies on nothing)."""
        return True

    async def enter_room(self, sid: str, namespace: str, room: str, eio_sid: str | None = None) -> None:
        """Enter a room, if the socket is on this process (one process: any other is gone)."""
        if eio_sid is not None or self.is_local(sid, namespace):
            await super().enter_room(sid, namespace, room, eio_sid=eio_sid)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        delivery.broadcast(self, event, data, namespace, to or room, skipped(skip_sid))

    def encode_binary(self, event: str, args: list[Any], namespace: str) -> Parts:
        """A packet with binary data: python-socketio's encoder, which splits out the attachments."""
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        return encoded if isinstance(encoded, list) else [encoded]


def skipped(skip_sid: Any) -> list[str]:
    """The sockets an emit skips: python-socketio takes one sid (or None) or a list."""
    return skip_sid if isinstance(skip_sid, list) else [] if skip_sid is None else [skip_sid]
