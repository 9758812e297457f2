"""What the server knows about one Socket.IO connection while it is open.

This is connection state, not game state: who the socket is, its rate limits
and its address. Seats, ready flags and everything else a second server
process must see live in MongoDB; which room a socket follows is the client
manager's (announce.follow keeps it in step with the seat the database holds).
`playing` is the round this connection loaded into (realtime/playing.py), so
that `hit` and `press`, the hot path of a round, are checked and judged without
a database round trip (and only while the socket still follows the room).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..config import Settings
from ..edge.ratelimit import TokenBucket
from ..errors import GameError
from ..identity.tokens import Identity
from .playing import PlayedRound


@dataclass
class Connection:
    identity: Identity | None
    events: TokenBucket
    chat: TokenBucket
    hits: TokenBucket
    playing: PlayedRound | None = None
    address: str = ""
    shared_slot: bool = False  # counted in Redis against MAX_CONNECTIONS_PER_IP (edge/shared_limits.py)

    @classmethod
    def open(cls, identity: Identity | None, settings: Settings, address: str = "") -> Connection:
        return cls(
            identity=identity,
            events=TokenBucket(settings.event_rate, settings.event_burst),
            chat=TokenBucket(settings.chat_rate, settings.chat_burst),
            hits=TokenBucket(settings.hit_rate, settings.hit_burst),
            address=address,
        )

    @property
    def refused_by_limits(self) -> int:
        """How many of this connection's events its rate limits refused (each bucket counts its own)."""
        return self.events.rejected + self.chat.rejected + self.hits.rejected

    @property
    def user(self) -> Identity:
        if self.identity is None:
            raise not_signed_in()
        return self.identity

    @property
    def nickname(self) -> str:
        return self.user.nickname

    def require_self(self, nickname: str) -> None:
        """A payload's nickname must be the connection's own."""
        if nickname != self.nickname:
            raise GameError("FORBIDDEN", "you can only act as yourself")


def not_signed_in() -> GameError:
    return GameError("NOT_AUTHENTICATED", "sign in first: connect with auth {token}")


@dataclass
class Connections:
    """The open connections of this process, by Socket.IO session id, and how many per client address.

    The per-address count is this process's own; with Redis, the cap is checked against the count of all
    processes together (edge/shared_limits.py), and this one is the fallback while Redis does not answer.
    """

    by_sid: dict[str, Connection] = field(default_factory=dict)
    per_address: Counter[str] = field(default_factory=Counter)

    def add(self, sid: str, connection: Connection) -> None:
        self.by_sid[sid] = connection
        self.per_address[connection.address] += 1

    def pop(self, sid: str) -> Connection | None:
        connection = self.by_sid.pop(sid, None)
        if connection is not None:
            self.per_address[connection.address] -= 1
            if self.per_address[connection.address] <= 0:
                del self.per_address[connection.address]
        return connection

    def count_from(self, address: str) -> int:
        return self.per_address[address]

    def get(self, sid: str) -> Connection | None:
        return self.by_sid.get(sid)

    def players(self) -> list[tuple[str, Identity]]:
        """(sid, player) of every signed-in connection."""
        return [(sid, c.identity) for sid, c in list(self.by_sid.items()) if c.identity is not None]
