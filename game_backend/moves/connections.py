"""Arriving, dropping and returning: what a player's connections do to their seats.

arrive      a connection is recorded as the player's (refused if their token was revoked), they are back in
            the seat they hold (`return`, below) or told it was lost, and they hear their friends' status
drop        a connection is gone; when it was the player's last, their seats are held for
            RECONNECT_GRACE_SECONDS (or given up at once when that is 0) and they are offline
return      a player who holds a seat (held or not) follows its room again and is told so (`seatRestored`);
            with CONNECTION_RECOVERY, after the room's events they missed
expire      every seat whose grace has ended is given up; the player is told at their next connection
            (`seatLost`)

The socket adapter (realtime/lifecycle.py) keeps what only a process knows: its open connections, their
deadlines, and the departures the database could not take yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from pymongo.errors import PyMongoError

from .. import announce
from ..controllers import rooms, users
from ..errors import GameError
from ..identity.tokens import Identity
from ..storage.database import Database
from ..storage.documents import now
from ..transport.socketio.server import SocketServer
from .recovery import Recovery, offset_of
from .world import World

log = logging.getLogger(__name__)


async def arrive(world: World, sid: str, identity: Identity, asked: Recovery | None = None) -> bool:
    """Connection `sid` is the player's: recorded, back in the room they sit in, hearing their friends.

    Returns whether it recovered the session `asked` (the missed events were replayed). GameError when the
    token was revoked (nothing is recorded then).
    """
    db = world.db
    # One round trip: the session recorded (which checks the token is not revoked) and the seat taken back.
    arrival, room = await asyncio.gather(
        users.connected(db, identity, sid, world.process.lease), rooms.reclaim_seat(db, identity.nickname)
    )
    log.info("%s connected (%s)", identity.nickname, sid, extra={"sid": sid, "nickname": identity.nickname})
    await announce.watch(world.sio, [sid], arrival.friends)
    recovered = False
    if room is not None:
        recovered = await reclaim(world, sid, identity, room, asked)
    elif arrival.seat_lost is not None:
        await announce.seat_lost(world.sio, sid, arrival.seat_lost["code"])
        await users.forget_lost_seat(db, identity.nickname, arrival.seat_lost)
    world.presence.changed(identity.nickname, True, [room["code"]] if room else [])
    return recovered


async def drop(world: World, sid: str, nickname: str) -> None:
    """The player's connection `sid` is gone: once none is left, their seats are held."""
    if not await users.disconnected(world.db, nickname, sid):
        await hold_seats(world, nickname)


async def hold_seats(world: World, nickname: str) -> None:
    """The player is gone: each seat the database records is held for the grace period; the player is offline."""
    db = world.db
    codes = await rooms.rooms_of(db, nickname)
    for code in codes:
        await hold_seat(world.sio, db, code, nickname, world.settings.reconnect_grace_seconds)
    world.presence.changed(nickname, False, codes)


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


async def reclaim(world: World, sid: str, identity: Identity, room: dict[str, Any], asked: Recovery | None) -> bool:
    """A player who holds a seat (held for their return, or still theirs) is back in its room, and told so;
    first, when the client `asked` to recover its session, the room's events it missed. Returns whether it did."""
    log.info(
        "%s is back in room %s",
        identity.nickname,
        room["code"],
        extra={"sid": sid, "nickname": identity.nickname, "room": room["code"]},
    )
    await announce.follow(world.sio, [sid], room["code"])
    recovered = asked is not None and await _replay_missed(world, sid, identity, room["code"], asked.offset)
    await announce.seat_restored(world.sio, sid, room)
    return recovered


async def _replay_missed(world: World, sid: str, identity: Identity, code: str, offset: str) -> bool:
    """The events of room `code` after `offset` go to the socket first, then those sent to it since it followed
    the room (held back until its CONNECT), less any the replay already gave."""
    assert world.journal is not None
    try:
        missed = await world.journal.missed(code, offset)
    except PyMongoError:
        missed = None
    if missed is None:
        log.info(
            "%s could not recover the events of room %s since %s; it starts afresh", identity.nickname, code, offset
        )
        return False
    last = missed[-1][0] if missed else offset
    world.sio.replay_first(
        sid,
        [(event, [*args, sent]) for sent, event, args in missed],
        keep=lambda packet: (sent := offset_of(packet)) is None or sent > last,
    )
    log.info("%s recovered %d missed event(s) of room %s", identity.nickname, len(missed), code)
    return True


async def expire(world: World) -> int:
    """Give up every seat whose grace has ended; returns how many this process released.

    A player connected again by then keeps the seat: their return and the hold may have crossed (the hold
    written after the returning connection had taken its seat back), and what counts is whether they are
    connected when the grace ends.
    """
    db = world.db
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
        await announce.departure(world.sio, left)
        released += 1
    return released
