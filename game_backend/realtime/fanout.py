"""Room emits encoded once and written to each recipient in one pass: the manager for a single process.

python-socketio's AsyncManager.emit encodes a packet once, then starts one
asyncio task per recipient and waits for them all, and each recipient's
Engine.IO socket encodes it again. Handing a packet to a socket never waits
(see engine.py), so those tasks buy nothing and cost a task, a done callback
and a wait for each delivered message: on `hit`, relayed to three players
dozens of times a second each, that was a tenth of the server's time. Here the
packet is encoded once, down to its WebSocket frame, and that same frame is
written for every recipient on a WebSocket; a recipient still on long-polling
gets the Engine.IO packet queued.

Emits that carry a callback, and everything else the manager does, are the
library's. Several processes behind Redis use AsyncRedisManager unchanged.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from .engine import Socket
from .websocket import message_frame


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
        frames = [message_frame(eio_pkt.encode()) for eio_pkt in eio_packets]
        skip = skip_sid if isinstance(skip_sid, list) else (skip_sid,)
        sockets: dict[str, Socket] = self.server.eio.sockets
        for sid, eio_sid in self.get_participants(namespace, room):
            socket = sockets.get(eio_sid)
            if socket is None or sid in skip:
                continue
            for eio_pkt, encoded in zip(eio_packets, frames):
                if not socket.write_frame(encoded):
                    await socket.send(eio_pkt)
