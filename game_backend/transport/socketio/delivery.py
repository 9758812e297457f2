"""The fan-out's inner loop: one encoded packet written to each of its recipients on this process.

Apart from fanout.py so that it is compiled with the hot path (game_backend/compiled.py): the manager there
extends python-socketio's, and a compiled class cannot extend an interpreted one.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from ..engineio.packets import MESSAGE
from ..engineio.session import Session
from ..engineio.websocket import message_frame

Parts = list[str | bytes]  # an encoded Socket.IO packet: its text, then its binary attachments


def deliver(
    members: Iterable[tuple[str, str]], sessions: dict[str, Session], skip: Container[str], parts: Parts
) -> int:
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
