"""A room emit: encoded once, stamped for connection state recovery, and written to each recipient on this process.

The client managers (fanout.py, and cluster/redis_manager.py, which also hands the encoded parts to Redis) call
these for every emit that carries no callback. Apart from them so that it is compiled with the hot path
(game_backend/compiled.py): the managers extend python-socketio's, and a compiled class cannot extend an
interpreted one.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from typing import Any, Protocol

from ..engineio.packets import MESSAGE
from ..engineio.session import Session
from ..engineio.websocket import message_frame
from .packets import encode_event, has_binary

Parts = list[str | bytes]  # an encoded Socket.IO packet: its text, then its binary attachments
Onward = Callable[[str, Any, list[str], Parts], None]  # (namespace, room, skipped sockets, parts)


class Journal(Protocol):
    """Connection state recovery's record of emits (moves/recovery.py): appends an offset to each one's args."""

    def stamp(self, namespace: str, room: Any, event: str, args: list[Any]) -> None: ...


class Emitter(Protocol):
    """The client manager an emit goes through: python-socketio's rooms, and what this project adds to it."""

    members: dict[str, dict[Any, dict[str, str]]]  # namespace -> room -> socket -> session (fanout.SocketIndex)
    journal: Journal | None
    metrics: Any  # operations.metrics.Metrics with METRICS on: room emits, delivered messages
    server: Any
    onward: Onward | None  # where an emit goes after this process's sockets (Redis, to the others); None: nowhere

    def get_participants(self, namespace: str, room: Any) -> Iterable[tuple[str, str]]: ...

    def encode_binary(self, event: str, args: list[Any], namespace: str) -> Parts: ...


def arguments(data: Any) -> list[Any]:
    """An emit's arguments: a tuple is several, None none, anything else one."""
    return list(data) if isinstance(data, tuple) else [] if data is None else [data]


def encode(emitter: Emitter, event: str, args: list[Any], namespace: str) -> Parts:
    """An EVENT packet's parts."""
    if has_binary(args):
        return emitter.encode_binary(event, args, namespace)
    return [encode_event(namespace, event, args, emitter.server.packet_class.json.dumps)]


def encode_emit(emitter: Emitter, event: str, data: Any, namespace: str, room: Any) -> Parts:
    """An emit's packet (a tuple is several arguments), stamped with its offset when connection state recovery
    is on."""
    if emitter.metrics is not None:
        emitter.metrics.room_emits.inc()
    args = arguments(data)
    if emitter.journal is not None:
        emitter.journal.stamp(namespace, room, event, args)
    return encode(emitter, event, args, namespace)


def deliver(emitter: Emitter, namespace: str, room: Any, skip: Container[str], parts: Parts) -> None:
    """Write an encoded packet to this process's sockets in `room` (a name, a list of names, or None: all)."""
    if isinstance(room, str) or room is None:
        # One room (or everyone, the room None): its members, read in place rather than copied.
        rooms = emitter.members.get(namespace)
        in_room = rooms.get(room) if rooms is not None else None
        if in_room is None:
            return
        members: Iterable[tuple[str, str]] = in_room.items()
    else:
        members = emitter.get_participants(namespace, room)
    delivered = write(members, emitter.server.eio.sockets, skip, parts)
    if emitter.metrics is not None:
        emitter.metrics.delivered.inc(delivered)


def emit(emitter: Emitter, event: str, data: Any, namespace: str, room: Any, skip: Container[str]) -> Parts:
    """Encode an emit and deliver it on this process; its parts, for a manager that sends it further."""
    parts = encode_emit(emitter, event, data, namespace, room)
    deliver(emitter, namespace, room, skip, parts)
    return parts


def broadcast(emitter: Emitter, event: str, data: Any, namespace: str, room: Any, skip: list[str]) -> None:
    """An emit without a callback, whole: delivered on this process, then sent onward (to the other processes)
    if the manager sends emits onward. Nothing in it waits, so a relayed `hit` calls it directly."""
    parts = emit(emitter, event, data, namespace, room, skip)
    onward = emitter.onward
    if onward is not None:
        onward(namespace, room, skip, parts)


def write(members: Iterable[tuple[str, str]], sessions: dict[str, Session], skip: Container[str], parts: Parts) -> int:
    """Write `parts` to each member (socket id, session id) not in `skip` whose session is open here; returns how
    many got it. A WebSocket gets the one frame made for all; a long-polling session, the packet queued."""
    text = MESSAGE + parts[0] if isinstance(parts[0], str) else parts[0]
    frame = message_frame(text) if len(parts) == 1 else None
    delivered = 0
    for sid, eio_sid in members:
        session = sessions.get(eio_sid)
        if session is None or sid in skip:
            continue
        delivered += 1
        if frame is not None and session.write_frame(frame):
            continue
        session.send(text)
        for attachment in parts[1:]:
            session.send(attachment)
    return delivered
