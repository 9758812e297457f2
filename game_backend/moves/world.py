"""What the moves act on: one `World`, built once in create_app and kept as the app key WORLD, so that a socket
handler and a REST route call a move with the same object (and a test builds one from its parts)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import Settings
from ..edge.shared_limits import SharedLimits
from ..operations.metrics import Metrics
from ..storage.database import Database
from ..transport.socketio.server import SocketServer
from .presence import Presence
from .recovery import RoomJournal


@dataclass(frozen=True)
class ServerProcess:
    """This server process's one identity.

    `node` (NODE_ID, or drawn at start) is the name peers route by: every session id starts with it, Redis
    sends a socket's messages to its node's channel, recovery offsets end with it. `lease` is the node and
    this start (`<node>.<boot>`): it names the process wherever its liveness is kept (its heartbeat in
    MongoDB, its connection counts in Redis) and the sessions recorded as its own, so a process restarted
    under the same NODE_ID is never taken for the one it replaces, whose players are recovered as any dead
    process's are (moves/process_death.py).
    """

    node: str
    boot: str

    @classmethod
    def start(cls, node_id: str | None) -> ServerProcess:
        return cls(node_id or secrets.token_hex(4), secrets.token_hex(6))

    @property
    def lease(self) -> str:
        return f"{self.node}.{self.boot}"


@dataclass
class World:
    settings: Settings
    sio: SocketServer
    database: Callable[[], Database]  # the handle, once the app has started (app_keys.DB)
    process: ServerProcess
    journal: RoomJournal | None = None  # with CONNECTION_RECOVERY
    limits: SharedLimits | None = None  # with REDIS_URL: per-address limits across processes
    metrics: Metrics | None = None  # with METRICS
    presence: Presence = field(init=False)

    def __post_init__(self) -> None:
        self.presence = Presence(self.sio)

    @property
    def db(self) -> Database:
        return self.database()
