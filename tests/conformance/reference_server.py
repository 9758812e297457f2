"""The reference servers the protocols' compliance suites expect, built on this project's own factories.

The `socket.io-protocol` and `engine.io-protocol` repositories each hold a
test suite (`test-suite/`) and describe the server it expects: heartbeat
every 300 ms with a 200 ms timeout, payloads up to 1,000,000 bytes, and
  - Socket.IO, at /socket.io/: on connect, emit "auth" with the handshake's
    auth; answer "message" with "message-back" and the same arguments,
    "message-with-ack" with an ack of the same arguments; the same in a
    "/custom" namespace; connectTimeout 1 s.
  - Engine.IO, at /engine.io/: echo every message.

This project's own tests (tests/transport/test_protocol_*.py) run against these
servers; so can the official suites, by hand (see docs/conformance.md):

    .venv/bin/python -m tests.conformance.reference_server --port 3000
"""

from __future__ import annotations

import argparse
from typing import Any

from aiohttp import web

from game_backend.app import create_socketio_server
from game_backend.config import Settings
from game_backend.transport.engineio.server import EngineServer

SETTINGS = Settings(ping_interval=0.3, ping_timeout=0.2, max_payload_bytes=1_000_000, connect_timeout=1.0)


def reference_app(settings: Settings = SETTINGS) -> web.Application:
    """Both reference servers in one aiohttp application."""
    app = web.Application()
    _socketio_reference(settings).attach(app)
    _engineio_reference(settings).attach(app, "engine.io")
    return app


def _socketio_reference(settings: Settings) -> Any:
    sio = create_socketio_server(settings)
    for namespace in ("/", "/custom"):
        _answer_like_the_reference(sio, namespace)
    return sio


def _answer_like_the_reference(sio: Any, namespace: str) -> None:
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.emit("auth", auth or {}, to=sid, namespace=namespace)

    async def message(sid: str, *args: Any) -> None:
        await sio.emit("message-back", tuple(args), to=sid, namespace=namespace)

    async def message_with_ack(sid: str, *args: Any) -> tuple[Any, ...]:
        return tuple(args)

    sio.on("connect", connect, namespace=namespace)
    sio.on("message", message, namespace=namespace)
    sio.on("message-with-ack", message_with_ack, namespace=namespace)


def _engineio_reference(settings: Settings) -> EngineServer:
    eio = EngineServer(ping_interval=settings.ping_interval, ping_timeout=settings.ping_timeout,
                       max_http_buffer_size=settings.max_payload_bytes)

    async def connect(sid: str, environ: dict[str, Any]) -> None:
        return None

    async def message(sid: str, data: str | bytes) -> None:
        await eio.send(sid, data)

    eio.on("connect", connect)
    eio.on("message", message)
    return eio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args()
    # Node resolves "localhost" to ::1 first; the suites connect to localhost.
    web.run_app(reference_app(), host=["127.0.0.1", "::1"], port=args.port)


if __name__ == "__main__":
    main()
