"""A connection's life, each moment in one named function.

connect      the handshake's token binds the connection to its player (`bind`), or it stays anonymous and
             only watches (with MOTION_BEAT_COMPAT, until its `login` names a player who signed in from
             its address); a bound player with a seat is back in its room (`reclaim`), and the socket
             hears the online status of the player's friends; one database round trip
disconnect   the socket is forgotten; when it was the player's last, the seats the database says the
             player holds are held for RECONNECT_GRACE_SECONDS (or given up at once when that is 0)
hold_seat    keep one seat for a player who dropped
reclaim      a returning player is back in the seat they hold, held or not, and is told so (`seatRestored`);
             with CONNECTION_RECOVERY, after the room's events it missed (recovery.py)
expire       give up every seat whose grace has ended (each process sweeps; a conditional leave lets
             exactly one of them release each seat); the player is told at its next connection (`seatLost`)
recover      a server process died (its heartbeat stood still for a lease): its players' connections are
             recorded as gone, once, by whichever process claims it (sweep.py, liveness.py)
reassert     this process was taken for dead while it could not beat (it was stopped, or starved): its
             live connections are recorded again and take their seats back
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

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pymongo.errors import PyMongoError
from socketio.exceptions import ConnectionRefusedError as Refused

from .. import announce
from ..controllers import processes, rooms, users
from ..edge.addresses import client_address
from ..errors import GameError
from ..identity.tokens import Identity, read_token
from ..storage.database import Database
from ..storage.deadline import deadline, is_outage
from ..storage.documents import now
from ..storage.round_trips import counted
from ..transport.socketio.server import SocketServer
from .connection import Connection
from .recovery import Recovery, new_pid, offset_of
from .router import EventRouter

if TYPE_CHECKING:
    from .dispatcher import Dispatcher

log = logging.getLogger(__name__)
router = EventRouter()


@router.connect
async def connect(dispatcher: Dispatcher, sid: str, environ: dict[str, Any], auth: Any) -> dict[str, Any] | None:
    """Take a connection (and, with a token, its player's arrival); returns the CONNECT packet's extra fields."""
    settings = dispatcher.settings
    address = client_address(environ["aiohttp.request"], settings.trusted_proxies)
    token = auth.get("token") if isinstance(auth, dict) else None
    identity = None
    if token is not None:
        try:
            identity = read_token(settings, token)
        except GameError as error:
            raise refused(dispatcher, sid, address, error.code, error.message) from None
    cap = settings.max_connections_per_ip
    shared = await dispatcher.limits.open_connection(address, cap) if cap > 0 and dispatcher.limits else None
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
    asked = Recovery.asked(auth) if dispatcher.journal is not None else None
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
            if isinstance(error, TimeoutError) or dispatcher.database().answers.within(settings.database_timeout):
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
    if dispatcher.journal is None:
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
    """The connection is the player's: recorded as theirs, back in the room they sit in, hearing their friends.

    Returns whether the connection recovered the session `asked` (the missed events were replayed).
    """
    db = dispatcher.database()
    # One round trip: the session recorded (which checks the token is not revoked) and the seat taken back.
    arrival, room = await asyncio.gather(
        users.connected(db, identity, sid, dispatcher.process), rooms.reclaim_seat(db, identity.nickname)
    )
    connection.identity = identity
    log.info("%s connected (%s)", identity.nickname, sid, extra={"sid": sid, "nickname": identity.nickname})
    await announce.watch(dispatcher.sio, [sid], arrival.friends)
    recovered = False
    if room is not None:
        recovered = await reclaim(dispatcher, sid, identity, room, asked)
    elif arrival.seat_lost is not None:
        await seat_lost(dispatcher.sio, db, sid, identity, arrival.seat_lost)
    dispatcher.presence.changed(identity.nickname, True, [room["code"]] if room else [])
    return recovered


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
        await connection.playing.save_if_possible(dispatcher.database(), dispatcher.settings.database_timeout)
    await depart(dispatcher, sid, nickname)


async def release_connection(dispatcher: Dispatcher, sid: str) -> Connection | None:
    """The connection is closed: no longer counted against its address's cap."""
    connection = dispatcher.connections.pop(sid)
    if connection is not None and connection.shared_slot and dispatcher.limits is not None:
        await dispatcher.limits.close_connection(connection.address)
    return connection


async def depart(dispatcher: Dispatcher, sid: str, nickname: str) -> bool:
    """Record that a player's connection is gone: their seats are held (or given up) once none is left.

    Returns False when the database could not take it in time; it is kept and retried by the sweep.
    """
    db = dispatcher.database()
    try:
        async with deadline(dispatcher.settings.database_timeout):
            if not await users.disconnected(db, nickname, sid):
                await hold_seats(dispatcher, db, nickname)
    except Exception as error:
        if not is_outage(error):
            raise
        log.debug("could not record that %s disconnected in time; the sweep retries it", nickname)
        dispatcher.unrecorded[sid] = nickname
        return False
    dispatcher.unrecorded.pop(sid, None)
    return True


async def hold_seats(dispatcher: Dispatcher, db: Database, nickname: str) -> None:
    """The player is gone: each seat the database records is held for the grace period; the player is offline."""
    codes = await rooms.rooms_of(db, nickname)
    for code in codes:
        await hold_seat(dispatcher.sio, db, code, nickname, dispatcher.settings.reconnect_grace_seconds)
    dispatcher.presence.changed(nickname, False, codes)


async def hold_seat(sio: SocketServer, db: Database, code: str, nickname: str, grace_seconds: float) -> None:
    """Keep a dropped player's seat for `grace_seconds`; with none, the player leaves at once."""
    if grace_seconds > 0 and await rooms.hold_seat(db, code, nickname, now() + timedelta(seconds=grace_seconds)):
        log.info(
            "holding %s's seat in room %s for %g s",
            nickname,
            code,
            grace_seconds,
            extra={"nickname": nickname, "room": code},
        )
        return
    with contextlib.suppress(GameError):  # the seat was already given up
        await announce.departure(sio, await rooms.leave_room(db, code, nickname))


async def reclaim(
    dispatcher: Dispatcher, sid: str, identity: Identity, room: dict[str, Any], asked: Recovery | None
) -> bool:
    """A player who holds a seat (held for their return, or still theirs) is back in its room, and told so;
    first, when the client `asked` to recover its session, the room's events it missed. Returns whether it did."""
    sio = dispatcher.sio
    log.info(
        "%s is back in room %s",
        identity.nickname,
        room["code"],
        extra={"sid": sid, "nickname": identity.nickname, "room": room["code"]},
    )
    await announce.follow(sio, [sid], room["code"])
    recovered = asked is not None and await replay_missed(dispatcher, sid, identity, room["code"], asked.offset)
    await announce.seat_restored(sio, sid, room)
    return recovered


async def replay_missed(dispatcher: Dispatcher, sid: str, identity: Identity, code: str, offset: str) -> bool:
    """The events of room `code` after `offset` go to the socket first, then those sent to it since it followed
    the room (held back until its CONNECT), less any the replay already gave."""
    assert dispatcher.journal is not None
    try:
        missed = await dispatcher.journal.missed(code, offset)
    except PyMongoError:
        missed = None
    if missed is None:
        log.info(
            "%s could not recover the events of room %s since %s; it starts afresh", identity.nickname, code, offset
        )
        return False
    last = missed[-1][0] if missed else offset
    dispatcher.sio.replay_first(
        sid,
        [(event, [*args, sent]) for sent, event, args in missed],
        keep=lambda packet: (sent := offset_of(packet)) is None or sent > last,
    )
    log.info("%s recovered %d missed event(s) of room %s", identity.nickname, len(missed), code)
    return True


async def seat_lost(sio: SocketServer, db: Database, sid: str, identity: Identity, lost: dict[str, Any]) -> None:
    """A player back after the grace period: the seat they held is gone, and they must join again."""
    await announce.seat_lost(sio, sid, lost["code"])
    await users.forget_lost_seat(db, identity.nickname, lost)


async def expire(sio: SocketServer, db: Database) -> int:
    """Give up every seat whose grace has ended; returns how many this process released.

    A player connected again by then keeps the seat: their return and the hold may have crossed (the hold
    written after the returning connection had taken its seat back), and what counts is whether they are
    connected when the grace ends.
    """
    moment = now()
    released = 0
    expired = await rooms.expired_seats(db, moment)
    back = await users.online_among(db, sorted({nickname for _, nickname in expired}))
    for code, nickname in expired:
        if nickname in back:
            await rooms.reclaim_seat(db, nickname)
            continue
        try:
            left = await rooms.leave_room(db, code, nickname, away_since=moment)
        except GameError:
            continue  # reclaimed, or released by another process
        log.info("%s did not come back within the grace period", nickname, extra={"nickname": nickname, "room": code})
        await users.lost_seat(db, nickname, code, moment)
        await announce.departure(sio, left)
        released += 1
    return released


async def recover(dispatcher: Dispatcher, db: Database, process: str) -> None:
    """A dead server process's players: their connections there are gone, as if they had each disconnected."""
    orphans = await users.sockets_held_by(db, process)
    log.warning("server process %s stopped beating: recording %d player(s) there as gone", process, len(orphans))
    for nickname, _ in orphans:
        if not await users.drop_sockets_of(db, nickname, process):
            await hold_seats(dispatcher, db, nickname)


async def reassert(dispatcher: Dispatcher, db: Database) -> None:
    """This process had been taken for dead (another claimed its heartbeat while it could not beat): its live
    connections are recorded again, and those whose seats are still held take them back."""
    live = [
        (sid, connection.identity)
        for sid, connection in list(dispatcher.connections.by_sid.items())
        if connection.identity is not None
    ]
    log.warning(
        "another process took this one for dead while it could not beat: recording its %d connection(s) again",
        len(live),
    )
    for sid, identity in live:
        if not await users.still_connected(db, identity.nickname, sid, dispatcher.process):
            continue
        room = await rooms.reclaim_seat(db, identity.nickname)
        await announce.follow(dispatcher.sio, [sid], room["code"] if room is not None else None)
        dispatcher.presence.changed(identity.nickname, True, [room["code"]] if room else [])


async def shutdown(dispatcher: Dispatcher) -> None:
    """Record every connection's departure while the database is still open, then close the transports.

    Only the Engine.IO sessions close: a Socket.IO disconnect would tell clients not to reconnect.
    """
    settings = dispatcher.settings
    for sid in list(dispatcher.connections.by_sid):
        connection = await release_connection(dispatcher, sid)
        if connection is not None and connection.identity is not None:
            await depart(dispatcher, sid, connection.identity.nickname)
    try:
        async with deadline(settings.database_timeout):
            await processes.retire(dispatcher.database(), dispatcher.process)
    except Exception as error:
        if not is_outage(error):
            raise  # otherwise its heartbeat stands still, and another process (or its restart) claims it
    await dispatcher.sio.eio.disconnect()
