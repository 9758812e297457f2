"""The dispatcher: every Socket.IO event of a connection goes through one function here, which rate-limits it,
checks who sends it, parses its payload, runs its handler under the request's database deadline, and turns
whatever happens into exactly one ack (see router.py for how handlers are declared)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import ValidationError

from ..controllers import users
from ..errors import GameError, internal, unavailable
from ..moves.world import World
from ..storage.deadline import deadline, is_outage
from ..storage.round_trips import counted
from ..validation import invalid, validator
from . import lifecycle
from .connection import Connection, Connections, not_signed_in
from .ghosts import Ghosts
from .router import Ack, EventContext, EventRouter, Route

log = logging.getLogger(__name__)


def rate_limited() -> GameError:
    return GameError("RATE_LIMITED", "too many events: slow down")


UNKNOWN_EVENT = "(unknown)"  # the name unknown events are counted and logged under (never the client's own)


async def _unknown_event(ctx: EventContext, event: str) -> Ack:
    raise GameError("UNKNOWN_EVENT", f"this server has no event {event[:40]!r}")


def _nickname_in(payload: Any) -> str | None:
    """The nickname an event acts as: `login`'s payload, or a payload's `nickname` field."""
    if isinstance(payload, str):
        return payload
    nickname = getattr(payload, "nickname", None)
    return nickname if isinstance(nickname, str) else None


def _over_limit(connection: Connection, route: Route) -> str | None:
    """Spend the event's tokens; the kind of limit it is over ("hit", "event", "chat"), or None.

    A `hit` spends only its own bucket: a round streams dozens a second, which must
    neither be refused by the shared limit nor use it up for the round's other
    events (gameEnded above all).
    """
    if route.hits:
        return None if connection.hits.take() else "hit"
    if not connection.events.take():
        return "event"
    return "chat" if route.chat and not connection.chat.take() else None


def _log_refusal(event: str, sid: str, connection: Connection, error: GameError, seconds: float) -> None:
    """A failed ack, at INFO, with its code and never the payload. A connection over a rate limit is logged once
    (its refusals are counted, and told at disconnect), so a flood does not become a flood of log lines."""
    nickname = connection.identity.nickname if connection.identity else None
    log.info(
        "%s refused %s from %s (%s): %s",
        event,
        error.code,
        nickname or "an anonymous socket",
        sid,
        error.message,
        extra={
            "event": event,
            "sid": sid,
            "nickname": nickname,
            "code": error.code,
            "duration_ms": round(seconds * 1000, 2),
        },
    )


class Dispatcher:
    """Registers routes on a Socket.IO server and runs each event through the same checks."""

    def __init__(self, world: World) -> None:
        self.world = world
        # What only this process knows: its open connections, the departures the database could not take
        # yet (sid -> nickname), and the session ids of refused connections the database may record late.
        self.connections = Connections()
        self.unrecorded: dict[str, str] = {}
        self.ghosts = Ghosts()

    def attach(self, router: EventRouter) -> None:
        for name, route in router.routes.items():
            if route.inline:
                self.world.sio.on_inline(name, self._dispatcher(name, route))
            else:
                self.world.sio.on(name, self._dispatcher(name, route))
        if router.on_connect is not None:
            on_connect = router.on_connect

            async def connect(sid: str, environ: Mapping[str, Any], auth: Any = None) -> dict[str, Any] | None:
                return await on_connect(self, sid, environ, auth)

            self.world.sio.on("connect", connect)
        if router.on_disconnect is not None:
            on_disconnect = router.on_disconnect

            async def disconnect(sid: str, reason: Any = None) -> None:
                await on_disconnect(self, sid, reason)

            self.world.sio.on("disconnect", disconnect)

    def answer_unknown_events(self) -> None:
        """An event no handler is registered for still gets its one ack, UNKNOWN_EVENT, after the same rate limit
        and sign-in checks as any event (without a callback it is counted and dropped)."""
        dispatch = self._dispatcher(UNKNOWN_EVENT, Route(_unknown_event, str, chat=False, hits=False, inline=False))

        async def unknown(event: str, sid: str, *args: Any) -> Ack | None:
            return await dispatch(sid, event)

        self.world.sio.on("*", unknown)

    def count_rate_limited(self, kind: str) -> None:
        if self.world.metrics is not None:
            self.world.metrics.rate_limited.labels(kind).inc()

    def commands_counter(self, moment: str) -> Callable[[int], None] | None:
        """Where a request's database commands are counted (with METRICS on), under `moment`."""
        return None if self.world.metrics is None else functools.partial(self.world.metrics.database_commands, moment)

    def count_refused_connection(self, code: str) -> None:
        if self.world.metrics is not None:
            self.world.metrics.refused_connections.labels(code).inc()

    def socket_census(self) -> list[tuple[str, bool]]:
        """(transport, signed in) of each open connection, for the metrics."""
        manager, sessions = self.world.sio.manager, self.world.sio.eio
        census = []
        for sid, connection in list(self.connections.by_sid.items()):
            eio_sid = manager.eio_sid_from_sid(sid, "/")
            session = sessions.session_of(eio_sid) if eio_sid is not None else None
            if session is not None:
                census.append((session.transport, connection.identity is not None))
        return census

    async def bind_by_signin(self, sid: str, connection: Connection, nickname: str | None) -> None:
        """MOTION_BEAT_COMPAT: an anonymous connection acting as `nickname` is that player's, if they hold a
        live sign-in from the connection's address (users.claim_by_signin); otherwise NOT_AUTHENTICATED."""
        identity = await users.claim_by_signin(self.world.db, nickname, connection.address) if nickname else None
        if identity is None:
            raise GameError("NOT_AUTHENTICATED", "sign in first (from this address), or connect with auth {token}")
        log.info("%s's anonymous connection %s is bound by their sign-in from %s", nickname, sid, connection.address)
        await lifecycle.bind(self, sid, connection, identity)

    def _dispatcher(self, name: str, route: Route) -> Callable[..., Awaitable[Ack | None]]:
        what = f"{name} payload"
        validate = validator(route.schema) if route.schema is not None else None

        async def dispatch(sid: str, *args: Any) -> Ack | None:
            connection = self.connections.get(sid)
            if connection is None:
                return None
            started = time.perf_counter()
            code = "ok"
            try:
                refused = _over_limit(connection, route)
                if refused is not None:
                    self.count_rate_limited(refused)
                    raise rate_limited()
                if connection.identity is None and not self.world.settings.motion_beat_compat:
                    raise not_signed_in()  # an anonymous connection only watches: no event of any kind
                try:
                    payload = validate(args[0] if args else None) if validate is not None else None
                except ValidationError as error:
                    raise invalid(what, error) from None
                if route.inline and connection.identity is not None:
                    # The hot path never waits on the database: no deadline to keep.
                    return await route.handler(EventContext(self.world, sid, connection), payload)
                with counted(self.commands_counter(name)):
                    async with deadline(self.world.settings.database_timeout):
                        if connection.identity is None:
                            await self.bind_by_signin(sid, connection, _nickname_in(payload))
                        return await route.handler(EventContext(self.world, sid, connection), payload)
            except GameError as error:
                code = error.code
                if code != "RATE_LIMITED" or connection.refused_by_limits == 1:
                    _log_refusal(name, sid, connection, error, time.perf_counter() - started)
                return error.ack()
            except Exception as error:
                if is_outage(error):
                    code = "UNAVAILABLE"
                    log.warning(
                        "%s from %s: the database did not answer in time (%s)",
                        name,
                        sid,
                        type(error).__name__,
                        extra={"event": name, "sid": sid, "code": code},
                    )
                    return unavailable().ack()
                code = "INTERNAL"
                log.exception("%s from %s failed", name, sid, extra={"event": name, "sid": sid, "code": code})
                return internal().ack()
            finally:
                if self.world.metrics is not None:
                    self.world.metrics.events.add(name, code, time.perf_counter() - started)

        return dispatch
