"""What the server knows about one Socket.IO connection while it is open.

This is connection state, not game state: who the socket is and which room it
is subscribed to. Seats, ready flags and everything else a second server
process must see live in MongoDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import Settings
from ..errors import GameError
from ..tokens import Identity
from .ratelimit import TokenBucket


@dataclass
class Connection:
    identity: Identity | None
    events: TokenBucket
    chat: TokenBucket
    room: str | None = None

    @classmethod
    def open(cls, identity: Identity | None, settings: Settings) -> Connection:
        return cls(
            identity=identity,
            events=TokenBucket(settings.event_rate, settings.event_burst),
            chat=TokenBucket(settings.chat_rate, settings.chat_burst),
        )

    @property
    def user(self) -> Identity:
        if self.identity is None:
            raise GameError("NOT_AUTHENTICATED", "sign in first: connect with auth {token}")
        return self.identity

    @property
    def nickname(self) -> str:
        return self.user.nickname

    def require_self(self, nickname: str) -> None:
        """A payload's nickname must be the connection's own."""
        if nickname != self.nickname:
            raise GameError("FORBIDDEN", "you can only act as yourself")

    def current_room(self) -> str:
        if self.room is None:
            raise GameError("NOT_IN_ROOM", "join a room first")
        return self.room


@dataclass
class Connections:
    """The open connections of this process, by Socket.IO session id."""

    by_sid: dict[str, Connection] = field(default_factory=dict)

    def add(self, sid: str, connection: Connection) -> None:
        self.by_sid[sid] = connection

    def pop(self, sid: str) -> Connection | None:
        return self.by_sid.pop(sid, None)

    def get(self, sid: str) -> Connection | None:
        return self.by_sid.get(sid)
