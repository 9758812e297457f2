"""A connection's life, each moment in one named function.

connect      the handshake's token binds the connection to its player (or it stays anonymous and only
             watches); a player with a seat takes it back (`reclaim`) and the socket follows its room
disconnect   the socket is forgotten; when it was the player's last, the seats the database says the
             player holds are held for RECONNECT_GRACE_SECONDS (or given up at once when that is 0)
hold_seat    keep one seat for a player who dropped
reclaim      a returning player is back in the seat they hold, held or not, and is told so (`seatRestored`)
expire       give up every seat whose grace has ended (each process sweeps; a conditional leave lets
             exactly one of them release each seat)
shutdown     on the way down: every player's departure is recorded while the database is still open,
             then the Engine.IO sessions close, so that clients reconnect (to this server once it is
             back, or to another process) and reclaim their seats

A connection presents its token in the handshake (`auth: {token}`). One with a
bad, expired or revoked (signed-out) token is refused, and so is one over the
per-address cap (MAX_CONNECTIONS_PER_IP, counted per process).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pymongo.errors import ConnectionFailure
from socketio.exceptions import ConnectionRefusedError as Refused

from .. import announce
from ..controllers import rooms, users
from ..edge.addresses import client_address
from ..errors import GameError
from ..identity.tokens import Identity, read_token
from ..storage.database import Database
from ..storage.documents import now
from ..transport.socketio_server import SocketServer
from .connection import Connection
from .router import Dispatcher, EventRouter

log = logging.getLogger(__name__)
router = EventRouter()

LONGEST_SWEEP_INTERVAL = 1.0


@router.connect
async def connect(dispatcher: Dispatcher, sid: str, environ: dict[str, Any], auth: Any) -> None:
    settings = dispatcher.settings
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
    db = dispatcher.database()
    try:
        await users.connected(db, identity, sid)
    except GameError as error:
        dispatcher.connections.pop(sid)
        raise Refused(error.message) from None
    except ConnectionFailure:
        dispatcher.connections.pop(sid)
        raise Refused("the database is unavailable; try again shortly") from None
    log.info("%s connected (%s)", identity.nickname, sid)
    await announce.user_status(dispatcher.sio, identity.nickname, True)
    await reclaim(dispatcher.sio, db, identity, sid)


@router.disconnect
async def disconnect(dispatcher: Dispatcher, sid: str, reason: Any = None) -> None:
    connection = dispatcher.connections.pop(sid)
    if connection is None or connection.identity is None:
        return
    log.info("%s disconnected (%s): %s", connection.identity.nickname, sid, reason)
    await depart(dispatcher, sid, connection)


async def depart(dispatcher: Dispatcher, sid: str, connection: Connection) -> None:
    """Record that a signed-in connection is gone: the player's seats are held (or given up) once none is left."""
    identity = connection.identity
    assert identity is not None
    if connection.hits.rejected:
        log.info("%s sent %d hits over the hit limit; they were dropped", identity.nickname, connection.hits.rejected)
    db = dispatcher.database()
    try:
        if await users.disconnected(db, identity, sid):
            return  # the player is still here on another connection: nothing changes for the seat
        for code in await rooms.rooms_of(db, identity.nickname):
            await hold_seat(dispatcher.sio, db, code, identity.nickname, dispatcher.settings.reconnect_grace_seconds)
        await announce.user_status(dispatcher.sio, identity.nickname, False)
    except ConnectionFailure:
        log.warning("could not record that %s disconnected: the database did not answer", identity.nickname)


async def hold_seat(sio: SocketServer, db: Database, code: str, nickname: str, grace_seconds: float) -> None:
    """Keep a dropped player's seat for `grace_seconds`; with none, the player leaves at once."""
    if grace_seconds > 0 and await rooms.hold_seat(db, code, nickname, now() + timedelta(seconds=grace_seconds)):
        log.info("holding %s's seat in room %s for %g s", nickname, code, grace_seconds)
        return
    try:
        await announce.departure(sio, await rooms.leave_room(db, code, nickname))
    except GameError:
        pass  # the seat was already given up


async def reclaim(sio: SocketServer, db: Database, identity: Identity, sid: str) -> None:
    """A player who holds a seat (held for their return, or still theirs) is back in its room, and told so."""
    room = await rooms.reclaim_seat(db, identity.nickname)
    if room is not None:
        log.info("%s is back in room %s", identity.nickname, room["code"])
        await announce.follow(sio, [sid], room["code"])
        await announce.seat_restored(sio, sid, room)


async def expire(sio: SocketServer, db: Database) -> int:
    """Give up every seat whose grace has ended; returns how many this process released."""
    moment = now()
    released = 0
    for code, nickname in await rooms.expired_seats(db, moment):
        try:
            left = await rooms.leave_room(db, code, nickname, away_since=moment)
        except GameError:
            continue  # reclaimed, or released by another process
        log.info("%s did not come back within the grace period", nickname)
        await announce.departure(sio, left)
        released += 1
    return released


async def sweep_forever(sio: SocketServer, database: Callable[[], Database], grace_seconds: float) -> None:
    """`expire`, every second (or twice per grace period, if that is shorter)."""
    interval = min(LONGEST_SWEEP_INTERVAL, grace_seconds / 2)
    while True:
        await asyncio.sleep(interval)
        try:
            await expire(sio, database())
        except ConnectionFailure:
            log.warning("could not release expired seats: the database did not answer")
        except Exception:
            log.exception("releasing expired seats failed")


async def shutdown(dispatcher: Dispatcher) -> None:
    """Record every connection's departure while the database is still open, then close the transports.

    Only the Engine.IO sessions close: a Socket.IO disconnect would tell clients not to reconnect.
    """
    for sid in list(dispatcher.connections.by_sid):
        connection = dispatcher.connections.pop(sid)
        if connection is not None and connection.identity is not None:
            await depart(dispatcher, sid, connection)
    await dispatcher.sio.eio.disconnect()
