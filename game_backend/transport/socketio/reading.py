"""A session's Socket.IO packets as they arrive: decoded, refused where socket.io-parser would refuse them, put
together with their binary attachments, and handed to the server's step for their kind.

Events registered as inline (`SocketServer.on_inline`) run right here, in the task that read them, straight to
their handler. Apart from server.py so that it is compiled with the hot path (game_backend/compiled.py): the
server extends python-socketio's, and a compiled class cannot extend an interpreted one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from . import packets

InlineHandler = Callable[..., Awaitable[Any]]
Step = Callable[[str, str, Any, Any], Awaitable[None]]  # (session id, namespace, ack id, data): an event or an ack


class Server(Protocol):
    """What the reader asks of the server besides its steps."""

    manager: Any

    async def refuse(self, eio_sid: str, why: str) -> None:
        """Close the session that sent a packet socket.io-parser would refuse."""

    async def answer(self, eio_sid: str, namespace: str, ack_id: int, answer: Any) -> None:
        """Send an inline handler's return value as the ack of its event."""

    def reconstruct(self, data: Any, attachments: list[bytes]) -> Any:
        """A binary packet's data with its attachments put back in their places."""


class Steps:
    """python-socketio's step for each kind of packet (its AsyncServer's `_handle_*` methods)."""

    __slots__ = ("event", "ack", "connect", "disconnect", "leaving")

    def __init__(
        self,
        *,
        event: Step,
        ack: Step,
        connect: Callable[[str, str, Any], Awaitable[None]],
        disconnect: Callable[[str, str, str], Awaitable[None]],
        leaving: str,
    ) -> None:
        self.event = event
        self.ack = ack
        self.connect = connect
        self.disconnect = disconnect
        self.leaving = leaving  # the disconnect reason of a client that leaves a namespace


class _PartialBinary:
    """A binary packet waiting for its attachments."""

    __slots__ = ("packet", "attachments", "size")

    def __init__(self, packet: packets.Decoded) -> None:
        self.packet = packet
        self.attachments: list[bytes] = []
        self.size = 0


class PacketReader:
    """Reads each session's packets; `inline` maps the name of an event of the namespace "/" to its handler."""

    def __init__(self, server: Server, steps: Steps, loads: Callable[[str], Any], max_attachment_bytes: int) -> None:
        self.server = server
        self.steps = steps
        self.inline: dict[str, InlineHandler] = {}
        self._loads = loads
        self._max_attachment_bytes = max_attachment_bytes
        self._partial: dict[str, _PartialBinary] = {}

    def forget(self, eio_sid: str) -> None:
        """The session is gone: drop its unfinished binary packet, if any."""
        self._partial.pop(eio_sid, None)

    async def message(self, eio_sid: str, data: str | bytes) -> None:
        """One Engine.IO message: a Socket.IO packet, or an attachment of the binary packet before it."""
        if self._partial:
            partial = self._partial.get(eio_sid)
            if partial is not None:
                await self._attachment(eio_sid, partial, data)
                return
        if not isinstance(data, str):
            await self._refuse(eio_sid, "an attachment without a binary packet")
            return
        try:
            packet = packets.decode(data, self._loads)
        except packets.MalformedPacket as error:
            await self._refuse(eio_sid, str(error))
            return
        kind = packet.kind
        steps = self.steps
        if kind == packets.EVENT:
            await self._event(eio_sid, packet.namespace, packet.id, packet.data)
        elif kind == packets.ACK:
            await steps.ack(eio_sid, packet.namespace, packet.id, packet.data)
        elif kind == packets.CONNECT:
            await steps.connect(eio_sid, packet.namespace, packet.data)
        elif kind == packets.DISCONNECT:
            await steps.disconnect(eio_sid, packet.namespace, steps.leaving)
        elif self.server.manager.sid_from_eio_sid(eio_sid, packet.namespace) is None:
            await self._refuse(eio_sid, "a binary packet outside a joined namespace")
        elif packet.attachments == 0:
            await self._complete(eio_sid, packet, [])
        else:
            self._partial[eio_sid] = _PartialBinary(packet)

    async def _attachment(self, eio_sid: str, partial: _PartialBinary, data: str | bytes) -> None:
        if isinstance(data, str):
            await self._refuse(eio_sid, "text where a binary attachment was due")
            return
        partial.size += len(data)
        if partial.size > self._max_attachment_bytes:
            await self._refuse(eio_sid, "binary attachments over the size limit")
            return
        partial.attachments.append(data)
        if len(partial.attachments) == partial.packet.attachments:
            del self._partial[eio_sid]
            await self._complete(eio_sid, partial.packet, partial.attachments)

    async def _complete(self, eio_sid: str, packet: packets.Decoded, attachments: list[bytes]) -> None:
        data = self.server.reconstruct(packet.data, attachments)
        if packet.kind == packets.BINARY_EVENT:
            await self._event(eio_sid, packet.namespace, packet.id, data)
        else:
            await self.steps.ack(eio_sid, packet.namespace, packet.id, data)

    async def _event(self, eio_sid: str, namespace: str, ack_id: int | None, data: list[Any]) -> None:
        handler = self.inline.get(data[0]) if namespace == "/" else None
        if handler is None:
            await self.steps.event(eio_sid, namespace, ack_id, data)
            return
        # An inline event: its handler runs here, in the task that read the packet, and its ack goes out at once.
        sessions = self.server.manager.connected_sids.get(namespace)  # fanout.SocketIndex: no Python call per packet
        sid = sessions.get(eio_sid) if sessions is not None else None
        if sid is None:
            return
        answer = await handler(sid, *data[1:])
        if ack_id is not None:
            await self.server.answer(eio_sid, namespace, ack_id, answer)

    async def _refuse(self, eio_sid: str, why: str) -> None:
        self._partial.pop(eio_sid, None)
        await self.server.refuse(eio_sid, why)
