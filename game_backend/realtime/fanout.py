"""Room emits without a task per recipient: the Socket.IO manager for a single server process.

python-socketio's AsyncManager.emit encodes a packet once, then starts one
asyncio task per recipient and waits for them all. Handing a packet to an
Engine.IO socket only appends it to that socket's send queue (it never waits),
so those tasks buy nothing and cost a task, a done callback and a wait for each
delivered message: on `hit`, relayed to three players dozens of times a second
each, that was a tenth of the server's time. Here the encoded Engine.IO packet
(one object, shared by every recipient) is queued for each recipient in turn.

Emits that carry a callback, and everything else the manager does, are the
library's. Several processes behind Redis use AsyncRedisManager unchanged.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet


class FanoutManager(socketio.AsyncManager):
    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                               **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        if isinstance(data, tuple):
            args = list(data)  # a tuple is several arguments; anything else is one
        else:
            args = [] if data is None else [data]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        eio_packets = [eio_packet.Packet(eio_packet.MESSAGE, part) for part in parts]
        skip = skip_sid if isinstance(skip_sid, list) else (skip_sid,)
        send = self.server.eio.send_packet
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid not in skip:
                for eio_pkt in eio_packets:
                    await send(eio_sid, eio_pkt)
