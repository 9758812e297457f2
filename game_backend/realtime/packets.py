"""Socket.IO packets checked the way socket.io's own parser checks them.

python-socketio decodes whatever a client sends. An event whose JSON is nested
too deep raises RecursionError inside the server; one whose name is not a
string raises TypeError; and one named "connect" or "disconnect" reaches the
connect and disconnect handlers as if the server had called them, so a client
could, for one, drop out of the per-address connection count while staying
connected. Socket.IO's JavaScript server refuses all of these as a "parse
error" and closes the connection. This server does the same: a malformed
packet becomes the internal event MALFORMED, whose handler disconnects the
sender. Nothing it carried reaches a handler.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from socketio.packet import ACK, BINARY_ACK, BINARY_EVENT, CONNECT, DISCONNECT, EVENT, Packet

log = logging.getLogger(__name__)

MALFORMED = "malformed packet"
# What a client may send (CONNECT_ERROR goes only from server to client).
CLIENT_PACKET_TYPES = frozenset({CONNECT, DISCONNECT, EVENT, ACK, BINARY_EVENT, BINARY_ACK})
# The names socket.io-parser refuses in an event packet.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})


class StrictPacket(Packet):
    """A Packet whose decode turns anything socket.io-parser would refuse into the MALFORMED event."""

    def __init__(self, packet_type: int = EVENT, data: Any = None, namespace: str | None = None,
                 id: int | None = None, binary: bool | None = None, encoded_packet: Any = None) -> None:
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)
        if encoded_packet is not None and not encoded_packet:
            # Packet skips decoding an empty message (Engine.IO hands over "" for "4", {} for "4{}").
            self._malformed()

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, TypeError, RecursionError):
            return self._malformed()
        if type(self.packet_type) is not int or self.packet_type not in CLIENT_PACKET_TYPES:
            return self._malformed()
        if self.packet_type in (EVENT, BINARY_EVENT) and not _is_event(self.data):
            return self._malformed()
        return attachments or 0

    def _malformed(self) -> int:
        self.packet_type = EVENT
        self.data = [MALFORMED]
        self.id = None
        if not isinstance(self.namespace, str):
            self.namespace = None
        return 0


def _is_event(data: Any) -> bool:
    return (
        isinstance(data, list)
        and bool(data)
        and isinstance(data[0], str)
        and data[0] not in RESERVED_EVENTS
        and data[0] != MALFORMED
    )


def strict_packets(sio: socketio.AsyncServer) -> None:
    """Decode this server's packets with StrictPacket and close the connection of whoever sends a malformed one."""
    sio.packet_class = StrictPacket

    async def close_sender(sid: str, *_: Any) -> None:
        log.info("closing %s: it sent a malformed Socket.IO packet", sid)
        await sio.disconnect(sid)

    sio.on(MALFORMED, close_sender)
