"""create_app(settings): wires the Socket.IO server, the database and the routes. Nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from pymongo.errors import PyMongoError

from . import api, realtime
from .app_keys import DB, METRICS, SETTINGS, WORLD
from .config import Settings
from .controllers import rooms, songs, users
from .edge import admin_ui, client_script, pages
from .edge.cors import EngineCors, cors_middleware
from .edge.middlewares import path_under, scoped
from .edge.ratelimit import TokenBucket
from .edge.shared_limits import SharedLimits
from .moves.recovery import RoomJournal
from .moves.world import ServerProcess, World
from .operations.metrics import Metrics
from .realtime import lifecycle
from .realtime.dispatcher import Dispatcher
from .realtime.sweep import Sweeper
from .runtime import packet_json
from .storage.database import Database, connect
from .storage.embedded import EmbeddedDatabase
from .transport.cluster.redis_manager import RedisManager
from .transport.socketio.fanout import FanoutManager
from .transport.socketio.server import SocketServer

log = logging.getLogger(__name__)

# A session that joins and leaves namespaces over and over (each join runs the connect handler) is closed.
NAMESPACE_JOINS_BURST = 10
NAMESPACE_JOINS_PER_SECOND = 0.5


class DatabaseUnavailable(RuntimeError):
    """The configured MongoDB did not answer at start-up."""


def create_socketio_server(settings: Settings, process: ServerProcess | None = None) -> SocketServer:
    """The Socket.IO server, named by `process`'s node (a new process's by default)."""
    process = process or ServerProcess.start(settings.node_id)
    manager = RedisManager(settings.redis_url, settings.redis_channel) if settings.redis_url else FanoutManager()
    return SocketServer(
        client_manager=manager,
        node=process.node,
        cors=EngineCors(settings),
        join_limit=lambda: TokenBucket(NAMESPACE_JOINS_PER_SECOND, NAMESPACE_JOINS_BURST),
        websocket_compression=settings.ws_compression,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
        connect_timeout=settings.connect_timeout,
        max_http_buffer_size=settings.max_payload_bytes,
        json=packet_json(settings),
        logger=_library_logger("socketio.server"),
    )


def _library_logger(name: str) -> logging.Logger:
    """python-socketio's logger, errors only (as the library defaults), through this app's logging.

    Given no logger, the library adds a handler of its own that prints every
    message a second time, bare, besides the app's timestamped line.
    """
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)
    return logger


def create_app(settings: Settings) -> web.Application:
    api_only = path_under("/api/")
    middlewares = [
        scoped(api_only, cors_middleware(settings)),
        scoped(api_only, api.json_errors),
        scoped(api_only, api.identify),
    ]
    app = web.Application(middlewares=middlewares, client_max_size=settings.max_payload_bytes)
    if settings.motion_beat_compat:
        log.warning(
            "MOTION_BEAT_COMPAT is on: an anonymous socket's login(nickname) is trusted for a player who "
            "signed in from the same address (see docs/security.md)"
        )
    if settings.room_code_seed is not None:
        rooms.seed_room_codes(settings.room_code_seed)
    app[SETTINGS] = settings
    app[WORLD] = world = _world(app, settings)
    world.sio.attach(app)
    dispatcher = realtime.attach(world)
    if world.metrics is not None:
        app[METRICS] = world.metrics
        world.metrics.count_sockets(dispatcher.socket_census)
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_sweeper(dispatcher))

    async def record_departures(_: web.Application) -> None:
        await lifecycle.shutdown(dispatcher)

    app.on_shutdown.append(record_departures)
    api.setup_routes(app, world.limits)
    client_script.setup(app, settings)
    admin_ui.setup(app, settings)
    pages.setup_frontend(app)
    return app


def _world(app: web.Application, settings: Settings) -> World:
    """What the moves act on, built once: this process's identity, its socket server, and what settings add."""
    process = ServerProcess.start(settings.node_id)
    sio = create_socketio_server(settings, process)

    def database() -> Database:
        return app[DB]

    limits = None
    if settings.redis_url:
        limits = SharedLimits(settings.redis_url, settings.redis_channel, process.lease)
        app.on_cleanup.append(lambda _: limits.close())
    journal = None
    if settings.connection_recovery:
        journal = RoomJournal(process.node, database, settings.reconnect_grace_seconds)
        sio.manager.journal = journal
    metrics = Metrics() if settings.metrics else None
    if metrics is not None:
        sio.manager.metrics = metrics
    return World(settings, sio, database, process, journal=journal, limits=limits, metrics=metrics)


async def _database(app: web.Application) -> AsyncIterator[None]:
    """Start (if needed) and connect the database before serving; close it after."""
    settings = app[SETTINGS]
    embedded = None
    uri = settings.mongodb_uri
    if uri is None:
        embedded = EmbeddedDatabase(settings.data_dir)
        embedded.launch()  # from this (the server's) thread: see EmbeddedDatabase.launch
        await asyncio.to_thread(embedded.wait_until_ready)
        uri = embedded.uri
    metrics = app.get(METRICS)
    db = connect(
        uri,
        settings.database_name,
        settings.mongo_driver,
        settings.database_timeout,
        [metrics.command_listener()] if metrics is not None else None,
    )
    try:
        await _prepare(db, uri)
        app[DB] = db
        log.info("database %r ready (%s driver)", settings.database_name, settings.mongo_driver)
        yield
    finally:
        await db.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


def _sweeper(dispatcher: Dispatcher) -> Callable[[web.Application], AsyncIterator[None]]:
    """While serving: this process's heartbeat, dead processes, unrecorded departures, expired seats (sweep.py)."""

    async def sweeping(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(Sweeper(dispatcher).run_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return sweeping


async def _prepare(db: Database, uri: str) -> None:
    try:
        await db.ping()
        await db.ensure_indexes()
        await songs.seed(db)
        await users.forget_untagged_sockets(db)
    except PyMongoError as error:
        raise DatabaseUnavailable(
            f"MongoDB at {_redact(uri)} did not answer ({type(error).__name__}). "
            "Start it, fix MONGODB_URI, or unset MONGODB_URI to use the embedded database."
        ) from None


def _redact(uri: str) -> str:
    """The URI without its password, for messages."""
    scheme, sep, rest = uri.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return uri
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
