"""The Engine.IO v4 server on aiohttp: HTTP requests in, sessions out, and the interface python-socketio drives.

Every request to the Engine.IO path comes through `handle_request`, which
checks it the way the protocol (and the Node.js server) does and answers a
broken one with 400 and `{"code", "message"}`: an unknown transport (0), an
unknown session (1), a handshake that is not a GET (2), anything else
malformed (3), a refused connection (4), or a protocol version other than 4
(5). A valid one opens a session, takes a GET (poll) or POST (packets) of a
long-polling session, or turns into a WebSocket: a new session, or the
upgrade of a long-polling one.

python-socketio's AsyncServer sits on top (see ../socketio/server.py). It
registers three handlers, `connect(sid, environ)`, `message(sid, data)` and
`disconnect(sid, reason)`, and calls `send`, `disconnect`, `transport`,
`get_session`... the public interface of python-engineio's AsyncServer,
which this class provides (tests/transport/test_socketio_seam.py checks it against python-socketio's source).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
)
from typing import Any, Protocol

from aiohttp import web

from .environ import RequestEnviron
from .packets import (
    MESSAGE,
    OPEN,
    Encoded,
    MalformedPacket,
    decode_payload,
    encode_payload,
)
from .session import OPEN_STATE, Reason, Session
from .session_ids import new_session_id
from .websocket import TurnWriter, WebSocketLink

log = logging.getLogger(__name__)

UNKNOWN_TRANSPORT, UNKNOWN_SID, BAD_HANDSHAKE_METHOD, BAD_REQUEST, FORBIDDEN, UNSUPPORTED_PROTOCOL_VERSION = range(6)
ERROR_MESSAGES = {
    UNKNOWN_TRANSPORT: "Transport unknown",
    UNKNOWN_SID: "Session ID unknown",
    BAD_HANDSHAKE_METHOD: "Bad handshake method",
    BAD_REQUEST: "Bad request",
    FORBIDDEN: "Forbidden",
    UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}
TRANSPORTS = ("polling", "websocket")
PAYLOAD_CONTENT_TYPE = "text/plain"
READ_CHUNK = 65536
UPGRADE_TIMEOUT = 10.0


class Cors(Protocol):
    """Which browser pages may use the transport, and the headers that let them read its answers (the app gives
    the REST routes' own policy: edge/cors.py)."""

    def allows(self, request: web.Request) -> bool: ...

    def headers(self, request: web.Request) -> dict[str, str]: ...

    def preflight(self, request: web.Request) -> dict[str, str]: ...


Handler = Callable[..., Awaitable[Any]]


class EngineServer:
    """Engine.IO sessions over long-polling and WebSocket, for one aiohttp application.

    `cors` decides whether a browser page from the request's Origin may connect,
    and gives the headers that let it read the answers (None: any page may
    connect, and no page of another origin may read them). Other keyword arguments that
    python-socketio passes to its Engine.IO server (`json`, `logger`,
    `async_handlers`, ...) are accepted and have no effect here.
    """

    async_mode = "aiohttp"
    reason = Reason

    def __init__(
        self,
        *,
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        max_http_buffer_size: int = 1_000_000,
        cors: Cors | None = None,
        websocket_compression: bool = False,
        upgrade_timeout: float = UPGRADE_TIMEOUT,
        node: str = "",
        **library_options: Any,
    ) -> None:
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.max_payload = max_http_buffer_size
        self.cors = cors
        self.websocket_compression = websocket_compression
        self.upgrade_timeout = upgrade_timeout
        # Every session id (and python-socketio's socket ids, made here too) starts with "<node>.": another
        # process, or a load balancer (deploy/nginx.conf), can tell which process holds a session.
        self.node = node
        # A client silent for this long is gone anyway: a polling body must arrive within it, and a
        # session the server closed waits this long for the GET that carries its CLOSE packet.
        self.patience = ping_interval + ping_timeout
        self.sockets: dict[str, Session] = {}
        self.handlers: dict[str, Handler] = {}
        self._on_message: Handler | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.writer = TurnWriter()
        self._ok: Callable[..., Any] = _no_polling_ok
        self._InstrumentedAsyncServer__ok: Callable[..., Any] | None = None

    # The interface python-socketio uses

    def on(self, event: str, handler: Handler) -> None:
        """Register the `connect`, `message` or `disconnect` handler."""
        self.handlers[event] = handler
        if event == "message":
            self._on_message = handler

    def attach(self, app: web.Application, engineio_path: str = "engine.io") -> None:
        app.router.add_route("*", f"/{engineio_path.strip('/')}/", self.handle_request)

    async def send(self, sid: str, data: str | bytes) -> None:
        """Send a message (text, or binary for bytes) to session `sid`, if it is still open."""
        session = self.sockets.get(sid)
        if session is not None:
            session.send(MESSAGE + data if isinstance(data, str) else data)

    async def send_packet(self, sid: str, packet: Any) -> None:
        """Send an encoded-on-demand packet (anything with `encode()`, as python-engineio's Packet)."""
        session = self.sockets.get(sid)
        if session is not None:
            session.send(packet.encode())

    async def disconnect(self, sid: str | None = None) -> None:
        """Close session `sid`, or every session."""
        if sid is None:
            await asyncio.gather(*(session.close(Reason.SERVER_DISCONNECT) for session in list(self.sockets.values())))
            return
        session = self.sockets.get(sid)
        if session is not None:
            await session.close(Reason.SERVER_DISCONNECT)

    def transport(self, sid: str) -> str:
        return self.sockets[sid].transport

    async def get_session(self, sid: str) -> dict[str, Any]:
        session = self.sockets[sid]
        if session.session is None:
            session.session = {}
        return session.session

    async def save_session(self, sid: str, session: dict[str, Any]) -> None:
        self.sockets[sid].session = session

    def session(self, sid: str) -> SessionScope:
        """`async with eio.session(sid) as session:` the client's session, saved back on exit."""
        return SessionScope(self, sid)

    def generate_id(self) -> str:
        return new_session_id(self.node)

    def start_background_task(
        self, target: Callable[..., Coroutine[Any, Any, Any]], *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        return self.spawn(target(*args, **kwargs))

    async def sleep(self, seconds: float = 0) -> None:
        await asyncio.sleep(seconds)

    def create_event(self) -> asyncio.Event:
        return asyncio.Event()

    def create_queue(self, *args: Any, **kwargs: Any) -> asyncio.Queue[Any]:
        return asyncio.Queue(*args, **kwargs)

    def get_queue_empty_exception(self) -> type[Exception]:
        return asyncio.QueueEmpty

    async def shutdown(self) -> None:
        """Nothing runs in the background here but the sessions' own timers and requests."""

    # python-socketio's Admin UI instrumentation (AsyncServer.instrument) reads two names of python-engineio's
    # server: the session of an id (whose `upgraded` says WebSocket), and `_ok`, which it wraps to count polling
    # packets (nothing here calls it: this server's polling answers are counted by nobody). It swaps `_ok` for
    # its wrapper and keeps the original under its own name: both are declared attributes (see __init__), which
    # the compiled class lets it assign.

    def _get_socket(self, sid: str) -> Session:
        session = self.sockets.get(sid)
        if session is None:
            raise KeyError(f"no session {sid}")
        return session

    # What sessions call back

    def session_of(self, sid: str) -> Session | None:
        return self.sockets.get(sid)

    async def handle_message(self, session: Session, data: str | bytes) -> None:
        try:
            await self._on_message(session.sid, data)  # type: ignore[misc]
        except Exception:
            log.exception("session %s: handling a message failed", session.sid)

    async def handle_close(self, session: Session, reason: str) -> None:
        handler = self.handlers.get("disconnect")
        if handler is None:
            return
        try:
            await handler(session.sid, reason)
        except Exception:
            log.exception("session %s: the disconnect handler failed", session.sid)

    def forget(self, session: Session) -> None:
        if self.sockets.get(session.sid) is session:
            del self.sockets[session.sid]

    def forget_later(self, session: Session) -> None:
        asyncio.get_running_loop().call_later(self.patience, session.expire)

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # Requests

    async def handle_request(self, request: web.Request) -> web.StreamResponse:
        """Every request to the Engine.IO path."""
        origin = request.headers.get("Origin")
        if origin is not None and self.cors is not None and not self.cors.allows(request):
            return self._error(BAD_REQUEST, f"origin {origin} is not allowed")
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=self.cors.preflight(request) if self.cors else {})
        query = request.query
        transport = query.get("transport")
        if transport not in TRANSPORTS:
            return self._error(UNKNOWN_TRANSPORT, request=request)
        websocket = request.headers.get("Upgrade", "").lower() == "websocket"
        sid = query.get("sid")
        if sid is None:
            if request.method != "GET":
                return self._error(BAD_HANDSHAKE_METHOD, request=request)
            if query.get("EIO") != "4":
                return self._error(UNSUPPORTED_PROTOCOL_VERSION, request=request)
            if transport == "websocket":
                return await self._open_websocket(request) if websocket else self._error(BAD_REQUEST, request=request)
            return await self._open_polling(request)
        session = self.sockets.get(sid)
        if session is None:
            return self._error(UNKNOWN_SID, request=request)
        if transport == "websocket":
            return await self._upgrade(request, session) if websocket else self._error(BAD_REQUEST, request=request)
        if session.link is not None:
            return self._error(BAD_REQUEST, "the session has moved to its WebSocket", request=request)
        if request.method == "GET":
            return await self._poll(request, session)
        if request.method == "POST":
            return await self._post(request, session)
        return self._error(BAD_REQUEST, f"{request.method} is not a long-polling request", request=request)

    async def _open(self, request: web.Request, upgrades: list[str]) -> Session | None:
        """A new session: its OPEN packet queued first, then python-socketio's `connect` handler asked."""
        sid = self.generate_id()
        session = Session(self, sid, RequestEnviron(request))
        self.sockets[sid] = session
        session.send(
            OPEN
            + json.dumps(
                {
                    "sid": sid,
                    "upgrades": upgrades,
                    "pingInterval": round(self.ping_interval * 1000),
                    "pingTimeout": round(self.ping_timeout * 1000),
                    "maxPayload": self.max_payload,
                },
                separators=(",", ":"),
            )
        )
        if await self.handlers["connect"](sid, session.environ) is False:
            self.forget(session)
            return None
        return session

    async def _open_polling(self, request: web.Request) -> web.StreamResponse:
        session = await self._open(request, ["websocket"])
        if session is None:
            return self._error(FORBIDDEN, request=request)
        session.start_heartbeat()
        return self._payload(request, await session.poll() or [])

    async def _open_websocket(self, request: web.Request) -> web.StreamResponse:
        link = await WebSocketLink.accept(request, self.max_payload, self.websocket_compression, self.writer)
        session = await self._open(request, [])
        if session is None:
            await link.close()
            return link.response
        waiting, session.outbox = session.outbox, []
        for packet in waiting:
            link.write(packet)
        session.attach_websocket(link)
        session.start_heartbeat()
        await _serve_in_a_task_of_its_own(session, link)
        return link.response

    async def _upgrade(self, request: web.Request, session: Session) -> web.StreamResponse:
        link = await WebSocketLink.accept(request, self.max_payload, self.websocket_compression, self.writer)
        if session.link is not None or session.upgrading or session.state is not OPEN_STATE:
            await link.close()  # one upgrade per session; a second WebSocket is turned away, as Node does
            return link.response
        if not await session.upgrade(link, self.upgrade_timeout):
            await link.close()  # the session carries on over long-polling
            return link.response
        log.debug("session %s upgraded to WebSocket", session.sid)
        await _serve_in_a_task_of_its_own(session, link)
        return link.response

    async def _poll(self, request: web.Request, session: Session) -> web.StreamResponse:
        packets = await session.poll()
        if packets is None:
            return self._error(
                BAD_REQUEST,
                "a GET out of turn (a second one while one waits, or one after the upgrade)",
                request=request,
            )
        return self._payload(request, packets)

    async def _post(self, request: web.Request, session: Session) -> web.StreamResponse:
        if session.posting:
            await session.close(Reason.TRANSPORT_ERROR)
            return self._error(BAD_REQUEST, "a second POST while one was being read", request=request)
        if request.content_type == "application/octet-stream":
            await session.close(Reason.TRANSPORT_ERROR)
            return self._error(BAD_REQUEST, "protocol v4 sends binary packets in base64", request=request)
        session.posting = True
        try:
            body = await self._read_body(request)
        finally:
            session.posting = False
        if body is None:
            await session.close(Reason.TRANSPORT_ERROR)
            return web.json_response(
                {"code": BAD_REQUEST, "message": f"a payload is at most {self.max_payload} bytes"},
                status=413,
                headers=self._cors_headers(request),
            )
        if isinstance(body, TimeoutError):
            await session.close(Reason.TRANSPORT_ERROR)
            return web.json_response(
                {"code": BAD_REQUEST, "message": "the payload did not arrive in time"},
                status=408,
                headers=self._cors_headers(request),
            )
        try:
            packets = decode_payload(body.decode("utf-8"))
        except (MalformedPacket, UnicodeDecodeError) as error:
            log.info("closing session %s: a malformed payload (%s)", session.sid, error)
            await session.close(Reason.TRANSPORT_ERROR)
            return self._error(BAD_REQUEST, "a malformed payload", request=request)
        for kind, data in packets:
            if session.closed:
                break
            await session.receive(kind, data)
        return web.Response(text="ok", content_type="text/html", headers=self._cors_headers(request))

    async def _read_body(self, request: web.Request) -> bytes | TimeoutError | None:
        """The POST body, or None when it is over the size limit, or TimeoutError when it comes too slowly."""
        if (request.content_length or 0) > self.max_payload:
            return None
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.patience):
                while chunk := await request.content.read(READ_CHUNK):
                    size += len(chunk)
                    if size > self.max_payload:
                        return None
                    chunks.append(chunk)
        except TimeoutError as error:
            return error
        return b"".join(chunks)

    def _cors_headers(self, request: web.Request) -> dict[str, str]:
        return self.cors.headers(request) if self.cors is not None else {}

    def _payload(self, request: web.Request, packets: list[Encoded]) -> web.Response:
        headers = self._cors_headers(request)
        headers["Cache-Control"] = "no-store"
        return web.Response(
            text=encode_payload(packets), content_type=PAYLOAD_CONTENT_TYPE, charset="utf-8", headers=headers
        )

    def _error(self, code: int, message: str | None = None, *, request: web.Request | None = None) -> web.Response:
        status = 403 if code == FORBIDDEN else 400
        headers = self._cors_headers(request) if request is not None else {}
        return web.json_response(
            {"code": code, "message": message or ERROR_MESSAGES[code]}, status=status, headers=headers
        )


def _no_polling_ok(*args: Any, **kwargs: Any) -> None:
    raise NotImplementedError("python-engineio's _ok: this server answers polling requests itself")


async def _serve_in_a_task_of_its_own(session: Session, link: WebSocketLink) -> None:
    """Read the session's WebSocket until it closes, in a task of its own that the request's task waits for.

    Every message read wakes the reading task. Run in the request's own task, each wake would resume (and each
    wait suspend) aiohttp's request handler, application and middleware coroutines, interpreted, around the
    compiled reading loop; in a task of its own, only the loop. Cancelling the request's task cancels this one.
    """
    await asyncio.ensure_future(session.serve_websocket(link))


class SessionScope:
    """`EngineServer.session`'s context: the session read on entry, saved back on a clean exit (a class, not
    an async generator, which the compiled hot path cannot hold)."""

    def __init__(self, server: EngineServer, sid: str) -> None:
        self.server = server
        self.sid = sid
        self.data: dict[str, Any] = {}

    async def __aenter__(self) -> dict[str, Any]:
        self.data = await self.server.get_session(self.sid)
        return self.data

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        if kind is None:
            await self.server.save_session(self.sid, self.data)
