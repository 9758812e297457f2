"""Room emits encoded once and written to each recipient in one pass: the client manager for a single process.

python-socketio's AsyncManager.emit encodes a packet once, then starts one
asyncio task per recipient and waits for them all. Handing a packet to a
session never waits (see session.py), so those tasks buy nothing and cost a
task, a done callback and a wait for each delivered message: on `hit`,
relayed to three players dozens of times a second each, that was a tenth of
the server's time. Here the packet is encoded once, down to its WebSocket
frame, and that same frame is written for every recipient on a WebSocket; a
recipient on long-polling gets the encoded packet queued.

Emits that carry a callback or binary data, and everything else the manager
does, are the library's.
"""

from __future__ import annotations

from typing import Any

import socketio

from .packets import MESSAGE
from .socketio_packets import encode_event, has_binary
from .websocket import message_frame


class RoomIndex:
    """Which rooms each socket is in, kept beside python-socketio's rooms (which only map rooms to sockets).

    Answers `rooms_of(sid)` without scanning every room of the namespace (each
    socket has a room of its own, so a scan grows with the connections).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._joined: dict[tuple[str, str], set[str]] = {}

    def basic_enter_room(self, sid: str, namespace: str, room: Any, eio_sid: str | None = None) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # type: ignore[misc]
        if room is not None and room != sid:
            self._joined.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        joined = self._joined.get((namespace, sid))
        if joined is not None:
            joined.discard(room)
            if not joined:
                del self._joined[(namespace, sid)]

    def rooms_of(self, sid: str, namespace: str = "/") -> frozenset[str]:
        """The rooms (other than its own) a socket of this process is in."""
        return frozenset(self._joined.get((namespace, sid), ()))


class FanoutManager(RoomIndex, socketio.AsyncManager):
    async def enter_room(self, sid: str, namespace: str, room: str, eio_sid: str | None = None) -> None:
        """Enter a room, if the socket is on this process (one process: any other is gone)."""
        if eio_sid is not None or self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace):
            await super().enter_room(sid, namespace, room, eio_sid=eio_sid)

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        if isinstance(data, tuple):
            args = list(data)  # a tuple is several arguments; anything else is one
        else:
            args = [] if data is None else [data]
        if callback is not None or has_binary(args):
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                               **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        packet = MESSAGE + encode_event(namespace, event, args, self.server.packet_class.json.dumps)
        frame = message_frame(packet)
        skip = skip_sid if isinstance(skip_sid, list) else (skip_sid,)
        sessions = self.server.eio.sockets
        if isinstance(room, str) or room is None:
            # One room (or everyone, the room None): its members, read in place rather than copied.
            members = self.rooms[namespace].get(room, {}).items()
        else:
            members = self.get_participants(namespace, room)
        for sid, eio_sid in members:
            session = sessions.get(eio_sid)
            if session is None or sid in skip:
                continue
            if not session.write_frame(frame):
                session.send(packet)


class IndexedRedisManager(RoomIndex, socketio.AsyncRedisManager):
    """python-socketio's Redis manager, for several processes, with the same room index."""
