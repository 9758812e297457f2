"""A leaner Engine.IO layer: python-engineio's server, with sockets that write to their WebSocket directly.

python-engineio gives every socket an asyncio.Queue and, once on a
WebSocket, a writer task that waits on it (inside `asyncio.wait_for`, so one
more task per wake), plus a task per received message for the pending read,
and a sleeping task between pings. Profiled under the relay load, that hand-off
was most of the server's own time after the write system call; idle, it was a
fifth of each socket's memory.

Here a socket on a WebSocket has one task, the one aiohttp serves the request
in: it reads messages and hands them to Socket.IO inline. Sends are written
straight to the WebSocket (`websocket.WebSocketLink`, which coalesces them per
loop turn), pings are a timer, and ping timeouts are still found by the
library's service task. Long-polling, and a socket upgrading from it, keep the
library's queue until the WebSocket takes over; packets queued by then are
written first, so order is kept.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import engineio
from engineio import exceptions
from engineio.async_socket import AsyncSocket
from engineio.packet import MESSAGE, NOOP, OPEN, PING, PONG, UPGRADE, Packet

from .websocket import WebSocketLink

MESSAGE_PREFIX = str(MESSAGE)


class Socket(AsyncSocket):
    def __init__(self, server: EngineServer, sid: str) -> None:
        super().__init__(server, sid)
        self.link: WebSocketLink | None = None
        self._ping_timer: asyncio.TimerHandle | None = None

    async def send(self, pkt: Packet) -> None:
        if self.link is None:
            await super().send(pkt)
        elif not self.closed:
            self.link.write(pkt.encode())

    def write_frame(self, encoded: bytes) -> bool:
        """Write a packet's ready-made WebSocket frame, if this socket is on a WebSocket that takes frames.

        False means the caller must `await send(packet)` instead.
        """
        link = self.link
        if link is None or not link.takes_frames:
            return False
        if not self.closed:
            link.write_frame(encoded)
        return True

    def schedule_ping(self) -> None:
        """After a pong: the next ping in `ping_interval`, on a timer rather than a sleeping task."""
        if self.last_ping:
            self.last_ping = None
            self._ping_timer = asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.closing or self.closed:
            return
        self.last_ping = time.time()
        if self.link is not None:
            self.link.write(Packet(PING).encode())
        else:
            self.queue.put_nowait(Packet(PING))

    async def close(self, wait: bool = True, abort: bool = False, reason: Any = None) -> None:
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        await super().close(wait=wait and self.link is None, abort=abort, reason=reason)
        if self.link is not None:
            await self.link.close()

    async def _upgrade_websocket(self, environ: dict[str, Any]) -> Any:
        if self.upgraded:
            raise OSError("Socket has been upgraded already")
        server: EngineServer = self.server
        link = await WebSocketLink.accept(environ["aiohttp.request"], server.max_http_buffer_size,
                                          server.websocket_compression)
        await self._serve(link)
        return link.response

    async def _serve(self, link: WebSocketLink) -> None:
        """Take over `link` (after the upgrade handshake, if this socket started on polling), then read it."""
        if self.connected and not await self._upgraded_from_polling(link):
            await link.close()  # the session carries on over polling
            return
        try:
            self.connected = self.upgraded = True
            while not self.queue.empty():
                queued = self.queue.get_nowait()
                if queued is not None:
                    link.write(queued.encode())
            self.link = link
            self.queue = None  # nothing is queued from now on; an idle socket is smaller without it
            self.server.logger.info("%s: Upgrade to websocket successful", self.sid)
            await self._read(link)
        finally:
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)
            await link.close()

    async def _upgraded_from_polling(self, link: WebSocketLink) -> bool:
        """The probe exchange a polling client makes before it switches (Engine.IO protocol v4)."""
        self.upgrading = True  # the polling side answers NOOP from now on
        try:
            probe = await link.receive()
            if probe != f"{PING}probe":
                self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
                return False
            link.write(Packet(PONG, data="probe").encode())
            self.queue.put_nowait(Packet(NOOP))  # ends the pending poll
            if await link.receive() != str(UPGRADE):
                self.server.logger.info("%s: Failed websocket upgrade, no UPGRADE packet", self.sid)
                return False
            return True
        finally:
            self.upgrading = False

    async def _read(self, link: WebSocketLink) -> None:
        """Hand each message to the server inline: one task per socket, however many messages."""
        on_message = self.server.handlers.get("message")
        while not self.closed:
            data = await link.receive()
            if data is None:
                return
            try:
                if on_message is not None and type(data) is str and data[:1] == MESSAGE_PREFIX:
                    await on_message(self.sid, data[1:])
                else:
                    await self.receive(Packet(encoded_packet=data))
            except exceptions.UnknownPacketError:
                pass
            except exceptions.SocketIsClosedError:
                return
            except Exception:
                self.server.logger.exception("%s: error handling a message", self.sid)


class EngineServer(engineio.AsyncServer):
    """python-engineio's server, making `Socket`s; `websocket_compression` decides permessage-deflate."""

    websocket_compression = False

    async def _handle_connect(self, environ: dict[str, Any], transport: str, jsonp_index: int | None = None) -> Any:
        if self.start_service_task:
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)
        sid = self.generate_id()
        socket = Socket(self, sid)
        self.sockets[sid] = socket
        await socket.send(Packet(OPEN, {
            "sid": sid,
            "upgrades": self._upgrades(sid, transport),
            "pingTimeout": int(self.ping_timeout * 1000),
            "pingInterval": int(self.ping_interval + self.ping_interval_grace_period) * 1000,
            "maxPayload": self.max_http_buffer_size,
        }))
        accepted = await self._trigger_event("connect", sid, environ, run_async=False)
        if accepted is not None and accepted is not True:
            del self.sockets[sid]
            self.logger.warning("Application rejected connection")
            return self._unauthorized(accepted or None)
        socket.schedule_ping()
        if transport == "websocket":
            response = await socket.handle_get_request(environ)
            if socket.closed:
                self.sockets.pop(sid, None)
            return response
        socket.connected = True
        try:
            return self._ok(await socket.poll(), jsonp_index=jsonp_index)
        except exceptions.QueueEmpty:
            return self._bad_request()

