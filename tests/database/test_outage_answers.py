"""Every way a database outage shows itself gets one answer: UNAVAILABLE on a socket event, 503 over REST.

The exceptions are raised by a handler of the real dispatcher and a route behind the real REST error
middleware, on a real server and a real client: what is under test is the one classification
(storage/deadline.is_outage) both of them use. The outages themselves, caused for real (a database stopped
or killed), are in test_database_outage.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp import web
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    ServerSelectionTimeoutError,
    WTimeoutError,
)

from game_backend.api.http import json_errors
from game_backend.app import create_socketio_server
from game_backend.app_keys import SETTINGS
from game_backend.config import Settings
from game_backend.identity.tokens import Identity
from game_backend.moves.world import ServerProcess, World
from game_backend.realtime.connection import Connection
from game_backend.realtime.dispatcher import Dispatcher
from game_backend.realtime.router import EventContext, EventRouter
from game_backend.testing import rest

OUTAGES: list[BaseException] = [
    ConnectionFailure("no connection"),
    AutoReconnect("connection reset"),
    NetworkTimeout("the socket timed out"),
    ServerSelectionTimeoutError("no server"),
    ExecutionTimeout("operation exceeded time limit", 50),
    WTimeoutError("waiting for replication timed out", 64),
    OperationFailure("operation exceeded time limit", 50),
    BulkWriteError({"writeErrors": [{"index": 0, "code": 50, "errmsg": "operation exceeded time limit"}]}),
    TimeoutError("the request's deadline passed"),
]
NOT_OUTAGES: list[BaseException] = [
    OperationFailure("unknown operator: $foo", 2),
    DuplicateKeyError("duplicate key", 11000),
    RuntimeError("a bug"),
]
ALL = OUTAGES + NOT_OUTAGES


@pytest.fixture
async def failing_server() -> AsyncIterator[str]:
    """A Socket.IO server and a REST route, each raising `ALL[n]` when asked for `n`."""
    settings = Settings(database_timeout=1.0)
    process = ServerProcess.start(None)
    sio = create_socketio_server(settings, process)
    app = web.Application(middlewares=[json_errors])
    app[SETTINGS] = settings
    sio.attach(app)
    dispatcher = Dispatcher(World(settings, sio, lambda: None, process))  # type: ignore[arg-type, return-value]
    router = EventRouter()

    @router.connect
    async def connect(dispatcher: Dispatcher, sid: str, environ: dict[str, Any], auth: Any) -> None:
        dispatcher.connections.add(sid, Connection.open(Identity("u1", "ann", guest=True), settings))

    @router.event("fail", int)
    async def fail(ctx: EventContext, index: Any) -> None:
        raise ALL[index]

    dispatcher.attach(router)

    async def route(request: web.Request) -> web.Response:
        raise ALL[int(request.match_info["index"])]

    app.router.add_get("/api/fail/{index}", route)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(failing_server: str) -> AsyncIterator[socketio.AsyncClient]:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(failing_server, transports=["websocket"], wait_timeout=5)
    yield sio
    await sio.disconnect()


@pytest.mark.parametrize("index", range(len(ALL)), ids=[type(error).__name__ for error in ALL])
async def test_an_outage_answers_unavailable_on_a_socket_and_503_over_rest(
    failing_server: str, client: socketio.AsyncClient, index: int
) -> None:
    outage = ALL[index] in OUTAGES
    ack = await client.call("fail", index, timeout=5)
    status, body = await rest(failing_server, "GET", f"/api/fail/{index}")
    if outage:
        assert (ack["ok"], ack["code"]) == (False, "UNAVAILABLE"), ack
        assert (status, body["code"]) == (503, "UNAVAILABLE"), body
    else:
        assert (ack["ok"], ack["code"]) == (False, "INTERNAL"), ack
        assert (status, body["code"]) == (500, "INTERNAL"), body
