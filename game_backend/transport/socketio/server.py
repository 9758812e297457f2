"""python-socketio's AsyncServer on this package's Engine.IO server: the one seam between the two layers.

python-socketio stays the Socket.IO layer: namespaces, rooms, acks, the
client manager, the handlers. This subclass chooses the Engine.IO server and
takes over the steps where the library and the Socket.IO protocol (and the
Node.js server, which passes the protocol's test suite) part ways:

- Reading a packet (reading.PacketReader, the Engine.IO server's message
  handler in place of python-socketio's `_handle_eio_message`): packets are decoded by packets.decode,
  and anything socket.io-parser would refuse, or a binary packet over the
  attachment limits, closes the connection that sent it. Events registered with
  `on_inline` run in the task that read them instead of a task each (a handler
  that never waits on I/O gains nothing from one), and straight to their handler.
- Joining a namespace (`_handle_connect`): an unknown namespace is answered
  `{"message": "Invalid namespace"}`; the CONNECT packet goes out before
  anything the `connect` handler emitted to the socket (held back meanwhile);
  a session that closed while its handler ran is disconnected at once.
- The connect timeout (`_handle_eio_connect`): a session that joins no
  namespace within `connect_timeout` seconds is closed, as Node's
  `connectTimeout` does. And a session that joins and leaves namespaces over
  and over (each join runs the connect handler) is closed once its
  `join_limit` (a token bucket per session, given by the app: edge/ratelimit.py)
  has no token left.

Each of these overrides or replaces one of python-socketio's own methods; the
ones it overrides or calls (the reader calls the steps) are named in SEAM, and
tests/transport/test_socketio_seam.py fails if a python-socketio release moves
any of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import socketio
from socketio import exceptions

from ..engineio.packets import MESSAGE
from ..engineio.server import EngineServer
from . import packets
from .reading import PacketReader, Steps

log = logging.getLogger(__name__)

# python-socketio methods this class overrides or calls, with the parameters it relies on.
SEAM = {
    "_engineio_server_class": ("self",),
    "_handle_eio_connect": ("self", "eio_sid", "environ"),
    "_handle_connect": ("self", "eio_sid", "namespace", "data"),
    "_handle_disconnect": ("self", "eio_sid", "namespace", "reason"),
    "_handle_event": ("self", "eio_sid", "namespace", "id", "data"),
    "_handle_ack": ("self", "eio_sid", "namespace", "id", "data"),
    "_handle_eio_disconnect": ("self", "eio_sid", "reason"),
    "_trigger_event": ("self", "event", "namespace", "args"),
}
DEFAULT_CONNECT_TIMEOUT = 45.0  # seconds, as the Node server's default


class Bucket(Protocol):
    def take(self) -> bool:
        """Spend one token; False when there is none left."""


class SocketServer(socketio.AsyncServer):
    """A python-socketio server on EngineServer. `connect_timeout`, `join_limit` (a new bucket for each session's
    namespace joins; None: no limit) and the Engine.IO options are keyword arguments."""

    def __init__(
        self,
        *,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        join_limit: Callable[[], Bucket] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.eio: EngineServer
        self.connect_timeout = connect_timeout
        steps = Steps(
            event=self._handle_event,
            ack=self._handle_ack,
            connect=self._handle_connect,
            disconnect=self._handle_disconnect,
            leaving=self.reason.CLIENT_DISCONNECT,
        )
        self.reader = PacketReader(self, steps, self.packet_class.json.loads, self.eio.max_payload)
        self.eio.on("message", self.reader.message)  # straight to the compiled reader, not through a method here
        self._namespace_timers: dict[str, asyncio.TimerHandle] = {}
        self._join_limit = join_limit
        self._joins: dict[str, Bucket] = {}  # eio sid -> its namespace joins

    def on_inline(self, event: str, handler: Callable[..., Awaitable[Any]]) -> None:
        """Register `handler` for `event`, to run in the task that read the packet: for a handler that never waits
        on I/O, so that a connection's such events are handled in the order they were sent."""
        self.on(event, handler)
        self.reader.inline[event] = handler

    def _engineio_server_class(self) -> type[EngineServer]:
        return EngineServer

    async def _handle_eio_connect(self, eio_sid: str, environ: Mapping[str, Any]) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        self._namespace_timers[eio_sid] = asyncio.get_running_loop().call_later(
            self.connect_timeout, self._no_namespace_joined, eio_sid
        )

    def _no_namespace_joined(self, eio_sid: str) -> None:
        self._namespace_timers.pop(eio_sid, None)
        log.info("closing session %s: it joined no namespace within %g s", eio_sid, self.connect_timeout)
        self.eio.spawn(self.eio.disconnect(eio_sid))

    async def _handle_eio_disconnect(self, eio_sid: str, reason: str) -> None:
        timer = self._namespace_timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()
        self.reader.forget(eio_sid)
        self._joins.pop(eio_sid, None)
        await super()._handle_eio_disconnect(eio_sid, reason)

    # What the reader asks of the server besides its steps (reading.Server)

    async def answer(self, eio_sid: str, namespace: str, ack_id: int, answer: Any) -> None:
        arguments = [] if answer is None else list(answer) if isinstance(answer, tuple) else [answer]
        await self._send_packet(eio_sid, self.packet_class(packets.ACK, namespace=namespace, id=ack_id, data=arguments))

    def reconstruct(self, data: Any, attachments: list[bytes]) -> Any:
        return self.packet_class.reconstruct_binary(data, attachments)

    async def refuse(self, eio_sid: str, why: str) -> None:
        """A packet socket.io-parser would refuse: the Node server closes the connection, and so does this one
        (after a DISCONNECT for each namespace the client joined, so that it does not reconnect to send it again)."""
        log.info("closing session %s: it sent a malformed Socket.IO packet (%s)", eio_sid, why)
        self.reader.forget(eio_sid)
        for namespace in list(self.manager.get_namespaces()):
            sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
            if sid is not None:
                await self.disconnect(sid, namespace)  # DISCONNECT tells the client not to come back with it
        await self.eio.disconnect(eio_sid)

    def _may_join(self, eio_sid: str) -> bool:
        """Spend one of the session's namespace joins; False when it has none left."""
        if self._join_limit is None:
            return True
        bucket = self._joins.get(eio_sid)
        if bucket is None:
            bucket = self._joins[eio_sid] = self._join_limit()
        return bucket.take()

    def _serves(self, namespace: str) -> bool:
        return (
            namespace in self.handlers
            or namespace in self.namespace_handlers
            or self.namespaces == "*"
            or namespace in self.namespaces
        )

    async def _handle_connect(self, eio_sid: str, namespace: str, data: Any) -> None:
        """The client joins `namespace`; the `connect` handler may refuse it (ConnectionRefusedError or False)."""
        session = self.eio.session_of(eio_sid)
        if session is None:
            return
        if not self._may_join(eio_sid):
            log.info("closing session %s: it joined namespaces too often", eio_sid)
            session.send(self._encoded(packets.CONNECT_ERROR, namespace, {"message": "too many namespace joins"}))
            await self.eio.disconnect(eio_sid)
            return
        if not self._serves(namespace):
            session.send(self._encoded(packets.CONNECT_ERROR, namespace, {"message": "Invalid namespace"}))
            return
        sid = await self.manager.pre_connect(eio_sid, namespace)
        if sid is None:
            session.send(self._encoded(packets.CONNECT_ERROR, namespace, {"message": "Already connected"}))
            return
        timer = self._namespace_timers.pop(eio_sid, None)
        if timer is not None:
            timer.cancel()
        refusal, extras = await self._ask_connect_handler(session, sid, namespace, data)
        if refusal is not None:
            session.release(self._encoded(packets.CONNECT_ERROR, namespace, refusal), keep_held=False)
            await self.manager.disconnect(sid, namespace, ignore_queue=True)
            return
        session.release(self._encoded(packets.CONNECT, namespace, {**extras, "sid": sid}))
        await self.manager.connect(sid, namespace)
        if session.closed:
            # The session ended while the handler ran; its disconnect found the namespace not yet joined.
            await self._handle_disconnect(eio_sid, namespace, self.reason.TRANSPORT_CLOSE)

    def replay_first(
        self, sid: str, events: list[tuple[str, list[Any]]], keep: Callable[[str], bool], namespace: str = "/"
    ) -> None:
        """From `sid`'s connect handler: `events` go out right after CONNECT, before whatever was sent to the
        socket meanwhile (held back until CONNECT) that `keep` accepts. (Recorded room emits: JSON, no binary.)"""
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace)
        session = self.eio.session_of(eio_sid) if eio_sid is not None else None
        if session is not None:
            dumps = self.packet_class.json.dumps
            session.put_first(
                [MESSAGE + packets.encode_event(namespace, event, args, dumps) for event, args in events], keep
            )

    async def _ask_connect_handler(
        self, session: Any, sid: str, namespace: str, auth: Any
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(None, more fields for the CONNECT packet) when the handler accepts: it may return a dict of them (the
        private session id of connection state recovery); otherwise (the CONNECT_ERROR data saying why not, {})."""
        environ = self.environ.get(session.sid, {})
        session.hold()
        try:
            accepted = await self._trigger_event("connect", namespace, sid, environ, auth)
        except exceptions.ConnectionRefusedError as refused:
            data: dict[str, Any] = refused.error_args
            return data, {}
        except ConnectionRefusedError:
            return {"message": "Connection refused by server"}, {}
        except Exception:
            log.exception("the connect handler of %s failed", namespace)
            return {"message": "the server could not accept the connection"}, {}
        if accepted is False:
            return {"message": "Connection rejected by server"}, {}
        return None, accepted if isinstance(accepted, dict) else {}

    def _encoded(self, kind: int, namespace: str, data: Any) -> str:
        encoded: str = self.packet_class(kind, data=data, namespace=namespace).encode()
        return MESSAGE + encoded
