"""The Socket.IO server: python-socketio on this package's Engine.IO layer, with some events run inline.

python-socketio runs every event handler in a task of its own, so that a slow
handler does not hold up the connection's next packets. A handler that never
waits on I/O (`hit`: checked against the connection's state, then relayed)
gains nothing from that task and pays for it dozens of times a second per
player; events named in `inline_events` (routes declared `inline`) run in the
task that read them, in order.
"""

from __future__ import annotations

from typing import Any

import socketio

from .engine import EngineServer


class GameServer(socketio.AsyncServer):
    def __init__(self, *, websocket_compression: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.inline_events: set[str] = set()
        self.eio.websocket_compression = websocket_compression

    def _engineio_server_class(self) -> type[EngineServer]:
        return EngineServer

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: list[Any]) -> None:
        if data[0] not in self.inline_events:
            await super()._handle_event(eio_sid, namespace, id, data)
            return
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if self.manager.is_connected(sid, namespace):
            await self._handle_event_internal(self, sid, eio_sid, data, namespace, id)
