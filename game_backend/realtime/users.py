"""Connection lifecycle and the `login` event.

A connection presents its token in the handshake (`auth: {token}`). One with a
bad, expired or revoked (signed-out) token is refused, and so is one over the
per-address cap (MAX_CONNECTIONS_PER_IP, counted per process). One without a
token is anonymous: it receives only what is broadcast to everyone
(`userStatus`), and every event answers NOT_AUTHENTICATED.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo.errors import ConnectionFailure
from socketio.exceptions import ConnectionRefusedError as Refused

from ..addresses import client_address
from ..controllers import rooms, users
from ..errors import GameError
from ..tokens import read_token
from ..validation import Nickname
from . import announce
from . import grace as grace_period
from .connection import Connection
from .router import Ack, Dispatcher, EventContext, EventRouter

log = logging.getLogger(__name__)
router = EventRouter()


@router.event("login", Nickname)
async def login(ctx: EventContext, nickname: str) -> Ack:
    ctx.connection.require_self(nickname)
    await announce.user_status(ctx.sio, nickname, True)
    return {"ok": True, "nickname": nickname}


def attach_lifecycle(dispatcher: Dispatcher) -> Callable[[], Awaitable[None]]:
    """Register connect and disconnect, which are not ordinary events; returns what to await on shutdown."""
    sio, settings = dispatcher.sio, dispatcher.settings

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        address = client_address(environ["aiohttp.request"], settings.trusted_proxies)
        cap = settings.max_connections_per_ip
        if cap > 0 and dispatcher.connections.count_from(address) >= cap:
            log.info("refused a connection from %s: already %d open", address, cap)
            raise Refused(f"too many connections from your address (at most {cap}); close one and retry")
        token = auth.get("token") if isinstance(auth, dict) else None
        identity = None
        if token is not None:
            try:
                identity = read_token(settings, token)
            except GameError as error:
                raise Refused(error.message) from None
        # Counted before the first await, so simultaneous connects cannot overshoot the cap.
        connection = Connection.open(identity, settings, address)
        dispatcher.connections.add(sid, connection)
        if identity is None:
            return
        try:
            await users.connected(dispatcher.database(), identity, sid)
        except GameError as error:
            dispatcher.connections.pop(sid)
            raise Refused(error.message) from None
        except ConnectionFailure:
            dispatcher.connections.pop(sid)
            raise Refused("the database is unavailable; try again shortly") from None
        log.info("%s connected (%s)", identity.nickname, sid)
        await announce.user_status(sio, identity.nickname, True)
        room = await rooms.reclaim_seat(dispatcher.database(), identity.nickname)
        if room is not None:
            log.info("%s came back to room %s within the grace period", identity.nickname, room["code"])
            await sio.enter_room(sid, room["code"])
            connection.room = room["code"]

    async def disconnect(sid: str, reason: Any = None) -> None:
        connection = dispatcher.connections.pop(sid)
        if connection is not None and connection.identity is not None:
            log.info("%s disconnected (%s): %s", connection.identity.nickname, sid, reason)
            await _record_departure(sid, connection)

    async def depart_everyone() -> None:
        """On shutdown, record every connection's departure while the database is still open,
        then close the transports.

        Only the Engine.IO transport is closed: a Socket.IO disconnect would tell clients
        not to reconnect. They reconnect to this server once it is back (or to another
        process) and reclaim their seats within the grace period.
        """
        for sid in list(dispatcher.connections.by_sid):
            connection = dispatcher.connections.pop(sid)
            if connection is not None and connection.identity is not None:
                await _record_departure(sid, connection)
        await sio.eio.disconnect()

    async def _record_departure(sid: str, connection: Connection) -> None:
        identity = connection.identity
        assert identity is not None
        if connection.hits.rejected:
            log.info("%s sent %d hits over the hit limit; they were dropped", identity.nickname, connection.hits.rejected)
        try:
            if connection.room is not None:
                await _give_up_or_hold_seat(connection.room, identity.nickname)
            if not await users.disconnected(dispatcher.database(), identity, sid):
                await announce.user_status(sio, identity.nickname, False)
        except ConnectionFailure:
            log.warning("could not record that %s disconnected: the database did not answer", identity.nickname)

    async def _give_up_or_hold_seat(code: str, nickname: str) -> None:
        grace = settings.reconnect_grace_seconds
        if grace > 0 and await grace_period.hold_seat(dispatcher.database(), code, nickname, grace):
            return
        try:
            await announce.departure(sio, await rooms.leave_room(dispatcher.database(), code, nickname))
        except GameError:
            pass  # the seat was already given up

    sio.on("connect", connect)
    sio.on("disconnect", disconnect)
    return depart_everyone
