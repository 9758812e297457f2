"""Users: guests and accounts, signing in and out, which tokens still count, and who is online.

This module owns the `users` collection.

A user document is `{nickname, guest, email?, password?, tokenVersion, sockets: [{sid, process}], friends,
createdAt}`: each open Socket.IO session with the server process that holds it, and the nicknames the user
follows as friends.
Nicknames are unique across guests and accounts, emails across accounts.

Revocation: a token names its user (`sub`) and that user's `tokenVersion` at
the time it was issued. Signing out raises the version of an account, or
deletes a guest (freeing the nickname), so every earlier token stops working,
for REST calls at once and for sockets at their next connection; the user's
open sockets, listed in `sockets` by Socket.IO session id, are closed by the
caller (api.users.logout), whichever server process holds them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from ..errors import GameError
from ..identity import passwords
from ..identity.tokens import Identity
from ..storage.database import Database
from ..storage.documents import jsonable, now
from . import rooms

RECENT_SONGS = 5
KEPT_SIGNINS = 10


def wrong_credentials() -> GameError:
    return GameError("NOT_AUTHENTICATED", "wrong email or password")


def revoked() -> GameError:
    return GameError("NOT_AUTHENTICATED", "this token is no longer valid (signed out?): sign in again")


@dataclass(frozen=True)
class Logout:
    """What signing out ended: the user's open Socket.IO sessions and the seats given up."""

    sockets: list[str]
    departures: list[rooms.Departure]


def _new_user(nickname: str, **fields: Any) -> dict[str, Any]:
    return {"nickname": nickname, "tokenVersion": 0, "sockets": [], "createdAt": now(), **fields}


@dataclass(frozen=True)
class SignIn:
    """Where a token was issued and until when: remembered (the last KEPT_SIGNINS) for MOTION_BEAT_COMPAT's
    socket login, which `claim_by_signin` reads."""

    address: str
    expires_at: datetime

    def record(self, token_version: int) -> dict[str, Any]:
        return {"address": self.address, "version": token_version, "expiresAt": self.expires_at}


async def create_guest(db: Database, nickname: str, signin: SignIn | None = None) -> Identity:
    """A guest user holding `nickname`, which nobody else (guest or account) may hold, with its first sign-in
    in the same write."""
    first = {"signins": [signin.record(0)]} if signin is not None else {}
    try:
        result = await db.users.insert_one(_new_user(nickname, guest=True, **first))
    except DuplicateKeyError:
        raise GameError("NICKNAME_TAKEN", f"the nickname {nickname} is taken") from None
    return Identity(user_id=str(result.inserted_id), nickname=nickname, guest=True)


async def sign_up(db: Database, email: str, nickname: str, password: str, rounds: int) -> dict[str, Any]:
    """A new account; `email` is already normalized (trimmed, lower case)."""
    hashed = await passwords.hash_password(password, rounds)
    try:
        result = await db.users.insert_one(_new_user(nickname, guest=False, email=email, password=hashed))
    except DuplicateKeyError:
        if await db.users.find_one({"email": email}, {"_id": 1}) is not None:
            raise GameError("EMAIL_TAKEN", "an account with this email already exists; sign in instead") from None
        raise GameError("NICKNAME_TAKEN", f"the nickname {nickname} is taken") from None
    return {"userId": str(result.inserted_id), "nickname": nickname, "email": email}


async def log_in(db: Database, email: str, password: str, rounds: int) -> Identity:
    """The account's identity if the password is right; the same error for an unknown email or a wrong password."""
    user = await db.users.find_one({"email": email, "guest": False}, {"nickname": 1, "password": 1, "tokenVersion": 1})
    hashed = user.get("password") if user is not None else None
    if not await passwords.check_password(password, hashed, rounds) or user is None:
        raise wrong_credentials()
    return Identity(
        user_id=str(user["_id"]), nickname=user["nickname"], guest=False, token_version=user.get("tokenVersion", 0)
    )


def _token_filter(identity: Identity) -> dict[str, Any]:
    """Matches the user only while the token that proved `identity` has not been revoked."""
    try:
        user_id = ObjectId(identity.user_id)
    except InvalidId:
        raise revoked() from None
    version: Any = identity.token_version
    if version == 0:
        version = {"$in": [0, None]}  # users stored before versions existed
    return {"_id": user_id, "nickname": identity.nickname, "tokenVersion": version}


async def check_token(db: Database, identity: Identity) -> None:
    """Raise NOT_AUTHENTICATED if the token behind `identity` was revoked or its user is gone."""
    if await db.users.find_one(_token_filter(identity), {"_id": 1}) is None:
        raise revoked()


async def profile(db: Database, identity: Identity) -> dict[str, Any]:
    """The caller's own account data (never the password hash)."""
    user = await db.users.find_one(_token_filter(identity), {"nickname": 1, "guest": 1, "email": 1, "createdAt": 1})
    if user is None:
        raise revoked()
    me: dict[str, Any] = {"userId": str(user["_id"]), "nickname": user["nickname"], "guest": bool(user.get("guest"))}
    if "email" in user:
        me["email"] = user["email"]
    if "createdAt" in user:
        me["createdAt"] = user["createdAt"]
    return jsonable(me)


@dataclass(frozen=True)
class Arrival:
    """What the database knows of a user who just connected: the friends whose status they follow, and the seat
    they lost while away (`{code, at}`), if they have not been told yet."""

    friends: list[str]
    seat_lost: dict[str, Any] | None = None


async def connected(db: Database, identity: Identity, sid: str, process: str) -> Arrival:
    """Record the Socket.IO session `sid`, held by server process `process`; refused if the token was revoked.

    An update and a read sent together (one round trip), rather than one find_one_and_update: SecantusDB,
    the development database, scans the whole collection for a findAndModify, and `users` is the big one.
    """
    token = _token_filter(identity)
    recorded, user = await asyncio.gather(
        db.users.update_one(token, {"$push": {"sockets": {"sid": sid, "process": process}}}),
        db.users.find_one(token, {"friends": 1, "seatLost": 1}),
    )
    if recorded.matched_count == 0 or user is None:
        raise revoked()
    lost = user.get("seatLost")
    return Arrival(friends=list(user.get("friends", [])), seat_lost=lost if isinstance(lost, dict) else None)


async def lost_seat(db: Database, nickname: str, code: str, moment: datetime) -> None:
    """The player's held seat in room `code` was given up at `moment`: to be told when they connect again."""
    await db.users.update_one({"nickname": nickname}, {"$set": {"seatLost": {"code": code, "at": moment}}})


async def forget_lost_seat(db: Database, nickname: str, lost: dict[str, Any]) -> None:
    """The player was told of the seat they lost (unless another loss was recorded since)."""
    await db.users.update_one({"nickname": nickname, "seatLost": lost}, {"$unset": {"seatLost": ""}})


async def sockets_of(db: Database, identity: Identity) -> list[str]:
    """The Socket.IO sessions the user has open, on any process."""
    user = await db.users.find_one({"nickname": identity.nickname}, {"sockets": 1})
    return _sids(user)


async def online_among(db: Database, nicknames: list[str]) -> set[str]:
    """Which of these users have a session open (on any process)."""
    if not nicknames:
        return set()
    found = await db.users.find(
        {"nickname": {"$in": nicknames}, "sockets.0": {"$exists": True}}, {"nickname": 1}
    ).to_list(None)
    return {user["nickname"] for user in found}


def _sids(user: dict[str, Any] | None) -> list[str]:
    return [socket["sid"] for socket in user.get("sockets", []) if isinstance(socket, dict)] if user else []


async def disconnected(db: Database, nickname: str, sid: str) -> bool:
    """Forget the session `sid`; returns whether the user still has another one open (is online)."""
    await db.users.update_one({"nickname": nickname}, {"$pull": {"sockets": {"sid": sid}}})
    return bool(_sids(await db.users.find_one({"nickname": nickname}, {"sockets": 1})))


async def still_connected(db: Database, nickname: str, sid: str, process: str) -> bool:
    """Record the session `sid` again (once) for a user whose process had been taken for dead meanwhile;
    False if the user is gone (signed out)."""
    recorded = await db.users.update_one(
        {"nickname": nickname}, {"$addToSet": {"sockets": {"sid": sid, "process": process}}}
    )
    return bool(recorded.matched_count == 1)


async def sockets_held_by(db: Database, process: str, among: list[str] | None = None) -> list[tuple[str, list[str]]]:
    """(nickname, sids) of every user with a session the server process `process` held (only the sessions
    `among`, when given)."""
    query: dict[str, Any] = {"sockets.process": process}
    if among is not None:
        query["sockets.sid"] = {"$in": among}
    users = await db.users.find(query, {"nickname": 1, "sockets": 1}).to_list(None)
    held = [
        (
            user["nickname"],
            [
                socket["sid"]
                for socket in user["sockets"]
                if isinstance(socket, dict)
                and socket.get("process") == process
                and (among is None or socket.get("sid") in among)
            ],
        )
        for user in users
    ]
    return [(nickname, sids) for nickname, sids in held if sids]


async def drop_sockets_of(db: Database, nickname: str, process: str) -> bool:
    """Forget the sessions a dead process held for this user; returns whether the user is still online elsewhere."""
    await db.users.update_one({"nickname": nickname}, {"$pull": {"sockets": {"process": process}}})
    return bool(_sids(await db.users.find_one({"nickname": nickname}, {"sockets": 1})))


async def forget_untagged_sockets(db: Database) -> None:
    """Sessions recorded without their process (by an earlier version) cannot be traced to a live process: drop them."""
    await db.users.update_many({"sockets": {"$type": "string"}}, {"$set": {"sockets": []}})


async def signed_in(db: Database, identity: Identity, signin: SignIn) -> None:
    """Remember a login's sign-in (see SignIn)."""
    await db.users.update_one(
        {"nickname": identity.nickname},
        {"$push": {"signins": {"$each": [signin.record(identity.token_version)], "$slice": -KEPT_SIGNINS}}},
    )


async def claim_by_signin(db: Database, nickname: str, address: str) -> Identity | None:
    """The player `nickname`, if they hold a live sign-in from `address`: a token issued by login or guest
    there, not signed out since (same token version; a signed-out guest is gone) and not expired."""
    user = await db.users.find_one({"nickname": nickname}, {"guest": 1, "tokenVersion": 1, "signins": 1})
    if user is None:
        return None
    version = user.get("tokenVersion", 0)
    moment = now()
    if not any(
        signin.get("address") == address and signin.get("version") == version and signin["expiresAt"] > moment
        for signin in user.get("signins", [])
    ):
        return None
    return Identity(user_id=str(user["_id"]), nickname=nickname, guest=bool(user.get("guest")), token_version=version)


async def favorites_of(db: Database, identity: Identity) -> list[int]:
    user = await db.users.find_one(_token_filter(identity), {"favorites": 1})
    if user is None:
        raise revoked()
    return list(user.get("favorites", []))


async def set_favorite(db: Database, identity: Identity, number: int, favorite: bool) -> None:
    change = {"$addToSet": {"favorites": number}} if favorite else {"$pull": {"favorites": number}}
    if (await db.users.update_one(_token_filter(identity), change)).matched_count == 0:
        raise revoked()


async def recent_numbers(db: Database, identity: Identity) -> list[int]:
    """The songs the user played last, newest first (each once)."""
    user = await db.users.find_one(_token_filter(identity), {"recentSongs": 1})
    if user is None:
        raise revoked()
    return list(dict.fromkeys(entry["number"] for entry in user.get("recentSongs", [])))


async def friends_of(db: Database, identity: Identity) -> list[dict[str, Any]]:
    """The players the user follows, each `{nickname, online}`, in the order they were added."""
    user = await db.users.find_one(_token_filter(identity), {"friends": 1})
    if user is None:
        raise revoked()
    names = list(user.get("friends", []))
    found = await db.users.find({"nickname": {"$in": names}}, {"nickname": 1, "sockets": 1}).to_list(None)
    online = {friend["nickname"]: bool(_sids(friend)) for friend in found}
    return [{"nickname": name, "online": online[name]} for name in names if name in online]


async def add_friend(db: Database, identity: Identity, nickname: str) -> None:
    """Follow `nickname`'s online status (a one-way friendship, as Motion Beat's friends list is)."""
    if nickname == identity.nickname:
        raise GameError("INVALID_PAYLOAD", "you cannot be your own friend")
    if await db.users.find_one({"nickname": nickname}, {"_id": 1}) is None:
        raise GameError("NOT_FOUND", f"there is no player {nickname}")
    followed = await db.users.update_one(_token_filter(identity), {"$addToSet": {"friends": nickname}})
    if followed.matched_count == 0:
        raise revoked()


async def remove_friend(db: Database, identity: Identity, nickname: str) -> None:
    unfollowed = await db.users.update_one(
        {**_token_filter(identity), "friends": nickname}, {"$pull": {"friends": nickname}}
    )
    if unfollowed.matched_count == 0:
        await check_token(db, identity)
        raise GameError("NOT_FOUND", f"{nickname} is not among your friends")


async def log_out(db: Database, identity: Identity) -> Logout:
    """Revoke every token of the user, give up their seats, and list the sessions to close.

    An account's token version goes up; a guest is deleted, which frees the nickname. One atomic step that
    also answers the sessions to close, so it stays a findAndModify: SecantusDB scans `users` for it, which
    a sign-out can afford (storage/updates.py).
    """
    if identity.guest:
        user = await db.users.find_one_and_delete({**_token_filter(identity), "guest": True}, projection={"sockets": 1})
    else:
        user = await db.users.find_one_and_update(
            {**_token_filter(identity), "guest": False},
            {"$inc": {"tokenVersion": 1}, "$set": {"sockets": []}},
            projection={"sockets": 1},
        )
    if user is None:
        raise revoked()
    departures = await rooms.leave_all(db, identity.nickname)
    return Logout(sockets=_sids(user), departures=departures)


async def remember_song(
    db: Database, players: list[dict[str, Any]], number: int, title: str | None, played_at: datetime
) -> None:
    """Each player's last RECENT_SONGS played songs, newest first, on their user document."""
    updates = [
        UpdateOne(
            {"nickname": player["nickname"]},
            {
                "$push": {
                    "recentSongs": {
                        "$each": [
                            {
                                "number": number,
                                "title": title,
                                "score": player["score"],
                                "playedAt": played_at,
                            }
                        ],
                        "$position": 0,
                        "$slice": RECENT_SONGS,
                    }
                }
            },
        )
        for player in players
    ]
    await db.users.bulk_write(updates, ordered=False)
