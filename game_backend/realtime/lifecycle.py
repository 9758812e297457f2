"""A connection's life, as the socket adapter sees it; the moves themselves (arrive, drop, return, expire) are in
moves/connections.py, and what a process's death does in moves/process_death.py.

connect      the handshake's token binds the connection to its player (`bind`: moves.connections.arrive), or
             it stays anonymous and only watches (with MOTION_BEAT_COMPAT, until its `login` names a player
             who signed in from its address); one database round trip
disconnect   the socket is forgotten, its round's last presses saved, and the player's drop recorded
             (`depart`: moves.connections.drop)
shutdown     on the way down: every player's departure is recorded while the database is still open,
             then the Engine.IO sessions close, so that clients reconnect (to this server once it is
             back, or to another process) and reclaim their seats

A departure the database cannot take (it is down) is kept and retried by the
sweep until it can, so nobody stays seated for good after an outage.

A connection presents its token in the handshake (`auth: {token}`). One with a
bad, expired or revoked (signed-out) token is refused, and so is one over the
per-address cap (MAX_CONNECTIONS_PER_IP, counted in Redis across processes
when REDIS_URL is set, otherwise per process). Every refusal carries a code
in its CONNECT_ERROR's `data` (`err.data.code` in socket.io-client). A
connection's arrival keeps one deadline (ARRIVAL_TIMEOUT): past it, it is
refused UNAVAILABLE (the database does not answer) or BUSY (it answers, too
slowly), never left without an answer; its record, should the database
apply it late, is laid to rest by the sweep (ghosts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from socketio.exceptions import ConnectionRefusedError as Refused

from ..edge.addresses import client_address
from ..errors import GameError
from ..identity.tokens import Identity, read_token
from ..moves import connections, process_death
from ..moves.recovery import Recovery, new_pid
from ..storage.deadline import deadline, is_outage
from ..storage.round_trips import counted
from .connection import Connection
from .router import EventRouter

if TYPE_CHECKING:
    from .dispatcher import Dispatcher

log = logging.getLogger(__name__)
router = EventRouter()


@router.connect
async def connect(dispatcher: Dispatcher, sid: str, environ: Mapping[str, Any], auth: Any) -> dict[str, Any] | None:
    """Take a connection (and, with a token, its player's arrival); returns the CONNECT packet's extra fields."""
    world = dispatcher.world
    settings = world.settings
    address = client_address(environ["aiohttp.request"], settings.trusted_proxies)
    token = auth.get("token") if isinstance(auth, dict) else None
    identity = None
    if token is not None:
        try:
            identity = read_token(settings, token)
        except GameError as error:
            raise refused(dispatcher, sid, address, error.code, error.message) from None
    cap = settings.max_connections_per_ip
    shared = await world.limits.open_connection(address, cap) if cap > 0 and world.limits else None
    # Counted by this process (without Redis, or while it does not answer) before any other await, so that
    # simultaneous connects cannot overshoot the cap.
    if shared is False or (shared is None and cap > 0 and dispatcher.connections.count_from(address) >= cap):
        dispatcher.count_rate_limited("connection")
        raise refused(
            dispatcher,
            sid,
            address,
            "TOO_MANY_CONNECTIONS",
            f"too many connections from your address (at most {cap}); close one and retry",
        )
    connection = Connection.open(None, settings, address)
    connection.shared_slot = shared is True
    dispatcher.connections.add(sid, connection)
    asked = Recovery.asked(auth) if world.journal is not None else None
    recovered = False
    if identity is not None:
        try:
            with counted(dispatcher.commands_counter("connect")):
                async with deadline(settings.arrival_timeout):
                    recovered = await bind(dispatcher, sid, connection, identity, asked)
        except GameError as error:  # the token was revoked: nothing was recorded
            await release_connection(dispatcher, sid)
            raise refused(dispatcher, sid, address, error.code, error.message) from None
        except Exception as error:
            await abandon(dispatcher, sid, identity)
            if not is_outage(error):
                raise
            if isinstance(error, TimeoutError) or world.db.answers.within(settings.database_timeout):
                raise refused(
                    dispatcher,
                    sid,
                    address,
                    "BUSY",
                    "the server is too busy to take the connection now; try again shortly",
                ) from None
            raise refused(
                dispatcher, sid, address, "UNAVAILABLE", "the database is unavailable; try again shortly"
            ) from None
    if world.journal is None:
        return None
    # socket.io's recovery: the client learns it recovered when its private session id comes back.
    return {"pid": asked.pid if recovered and asked else new_pid()}


def refused(dispatcher: Dispatcher, sid: str, address: str, code: str, message: str) -> Refused:
    """A refused connection, logged at INFO with its code and counted; the client gets `message`, and `code` as
    the CONNECT_ERROR's data (`err.data.code` in socket.io-client)."""
    log.info("refused a connection from %s (%s): %s %s", address, sid, code, message, extra={"sid": sid, "code": code})
    dispatcher.count_refused_connection(code)
    return Refused(message, {"code": code})


async def abandon(dispatcher: Dispatcher, sid: str, identity: Identity) -> None:
    """A connection refused after its arrival went to the database: its record, if the database applies it
    (now, or late after a stall), is a departure like any, and the sweep removes it again (ghosts.py)."""
    await release_connection(dispatcher, sid)
    dispatcher.unrecorded[sid] = identity.nickname
    dispatcher.ghosts.watch(sid)


async def bind(
    dispatcher: Dispatcher, sid: str, connection: Connection, identity: Identity, asked: Recovery | None = None
) -> bool:
    """The connection is the player's (see moves.connections.arrive); returns whether it recovered `asked`.

    It acts as the player from the start of the arrival, as it did once the arrival was recorded before the
    arrival became a move: another event racing this one (MOTION_BEAT_COMPAT's bind by sign-in) must not bind it
    a second time while the seat is being taken back.
    """
    connection.identity = identity
    try:
        return await connections.arrive(dispatcher.world, sid, identity, asked)
    except BaseException:
        connection.identity = None  # nothing of the arrival stands (see connect's refusals)
        raise


@router.disconnect
async def disconnect(dispatcher: Dispatcher, sid: str, reason: Any = None) -> None:
    connection = await release_connection(dispatcher, sid)
    if connection is None or connection.identity is None:
        return
    nickname = connection.identity.nickname
    log.info("%s disconnected (%s): %s", nickname, sid, reason, extra={"sid": sid, "nickname": nickname})
    if connection.hits.rejected:
        log.info(
            "%s sent %d hits over the hit limit; they were dropped",
            nickname,
            connection.hits.rejected,
            extra={"sid": sid, "nickname": nickname, "code": "RATE_LIMITED"},
        )
    refused_events = connection.refused_by_limits - connection.hits.rejected
    if refused_events:
        log.info(
            "%s had %d events refused by the event and chat limits",
            nickname,
            refused_events,
            extra={"sid": sid, "nickname": nickname, "code": "RATE_LIMITED"},
        )
    if connection.playing is not None:  # its last presses, for a return on another connection
        connection.playing.stop()
        await connection.playing.save_if_possible(dispatcher.world.db, dispatcher.world.settings.database_timeout)
    await depart(dispatcher, sid, nickname)


async def release_connection(dispatcher: Dispatcher, sid: str) -> Connection | None:
    """The connection is closed: no longer counted against its address's cap."""
    connection = dispatcher.connections.pop(sid)
    if connection is not None and connection.shared_slot and dispatcher.world.limits is not None:
        await dispatcher.world.limits.close_connection(connection.address)
    return connection


async def depart(dispatcher: Dispatcher, sid: str, nickname: str) -> bool:
    """Record that a player's connection is gone: their seats are held (or given up) once none is left.

    Returns False when the database could not take it in time; it is kept and retried by the sweep.
    """
    try:
        async with deadline(dispatcher.world.settings.database_timeout):
            await connections.drop(dispatcher.world, sid, nickname)
    except Exception as error:
        if not is_outage(error):
            raise
        log.debug("could not record that %s disconnected in time; the sweep retries it", nickname)
        dispatcher.unrecorded[sid] = nickname
        return False
    dispatcher.unrecorded.pop(sid, None)
    return True


async def shutdown(dispatcher: Dispatcher) -> None:
    """Record every connection's departure while the database is still open, then close the transports.

    Only the Engine.IO sessions close: a Socket.IO disconnect would tell clients not to reconnect.
    """
    settings = dispatcher.world.settings
    for sid in list(dispatcher.connections.by_sid):
        connection = await release_connection(dispatcher, sid)
        if connection is not None and connection.identity is not None:
            await depart(dispatcher, sid, connection.identity.nickname)
    try:
        async with deadline(settings.database_timeout):
            await process_death.retire(dispatcher.world)
    except Exception as error:
        if not is_outage(error):
            raise  # otherwise its heartbeat stands still, and another process (or its restart) claims it
    await dispatcher.world.sio.eio.disconnect()
