"""REST routes for users: guests, accounts, signing in and out, and the caller's own data."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web

from .. import announce
from ..app_keys import DB, METRICS, SETTINGS, WORLD
from ..controllers import users
from ..edge.addresses import client_address
from ..edge.ratelimit import AddressThrottle
from ..edge.shared_limits import SharedLimits
from ..errors import GameError
from ..identity.tokens import Identity, issue_token
from ..moves import accounts
from ..storage.documents import now
from ..text_rules import PASSWORD_FLOOR, PASSWORD_MIN
from ..validation import FriendBody, GuestBody, LoginBody, Nickname, SignupBody
from .http import caller, path_param, read_body

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
THROTTLE = web.AppKey("auth_throttle", AddressThrottle)
SHARED_THROTTLE = web.AppKey("shared_auth_throttle", SharedLimits)


def setup(app: web.Application, limits: SharedLimits | None) -> None:
    """Give the app its sign-up/login throttle (AUTH_RATE, AUTH_BURST): this process's, and Redis's if any."""
    settings = app[SETTINGS]
    app[THROTTLE] = AddressThrottle(settings.auth_rate, settings.auth_burst)
    if limits is not None:
        app[SHARED_THROTTLE] = limits


async def _throttle(request: web.Request) -> None:
    """Every sign-up or login attempt, valid or not, spends one of the caller's address's tokens: in Redis
    (shared by every process) when it is configured and answers, otherwise in this process."""
    settings = request.app[SETTINGS]
    address = client_address(request, settings.trusted_proxies)
    shared = request.app.get(SHARED_THROTTLE)
    allowed = await shared.take_auth_token(address, settings.auth_rate, settings.auth_burst) if shared else None
    if allowed is None:
        allowed = request.app[THROTTLE].allow(address)
    if not allowed:
        metrics = request.app.get(METRICS)
        if metrics is not None:
            metrics.rate_limited.labels("auth").inc()
        raise GameError("RATE_LIMITED", "too many sign-up or login attempts from your address; wait and retry")


def _signin(request: web.Request) -> users.SignIn:
    """The sign-in a token issued now makes, remembered with its address for MOTION_BEAT_COMPAT's socket login."""
    settings = request.app[SETTINGS]
    return users.SignIn(
        client_address(request, settings.trusted_proxies), now() + timedelta(seconds=settings.jwt_expiry_seconds)
    )


def _token(request: web.Request, identity: Identity, status: int = 200) -> web.Response:
    token = issue_token(request.app[SETTINGS], identity)
    return web.json_response(
        {"jwtoken": token, "userId": identity.user_id, "nickname": identity.nickname}, status=status
    )


@routes.post("/api/users/guest")
async def guest(request: web.Request) -> web.Response:
    body = await read_body(request, GuestBody)
    return _token(request, await users.create_guest(request.app[DB], body.nickname, _signin(request)), status=201)


@routes.post("/api/users/signup")
async def signup(request: web.Request) -> web.Response:
    await _throttle(request)
    body = await read_body(request, SignupBody)
    settings = request.app[SETTINGS]
    shortest = PASSWORD_FLOOR if settings.motion_beat_compat else PASSWORD_MIN
    if len(body.pw) < shortest:
        raise GameError("INVALID_PAYLOAD", f"invalid body: pw: a password is at least {shortest} characters")
    account = await users.sign_up(request.app[DB], body.email, body.nickname, body.pw, settings.bcrypt_rounds)
    return web.json_response(account, status=201)


@routes.post("/api/users/login")
async def login(request: web.Request) -> web.Response:
    await _throttle(request)
    body = await read_body(request, LoginBody)
    rounds = request.app[SETTINGS].bcrypt_rounds
    identity = await users.log_in(request.app[DB], body.email, body.pw, rounds)
    await users.signed_in(request.app[DB], identity, _signin(request))
    return _token(request, identity)


@routes.patch("/api/users/logout")
@routes.post("/api/users/logout")
async def logout(request: web.Request) -> web.Response:
    """Revoke every token of the caller, give up their seats and close their sockets."""
    user = caller(request)
    closed = await accounts.sign_out(request.app[WORLD], user)
    log.info("%s signed out (%d connection(s) closed)", user.nickname, closed)
    return web.json_response({"ok": True})


@routes.get("/api/users/me")
async def me(request: web.Request) -> web.Response:
    return web.json_response(await users.profile(request.app[DB], caller(request)))


@routes.get("/api/users/friends")
async def friends(request: web.Request) -> web.Response:
    """The caller's friends and whether each is online: `[{nickname, online}]`."""
    return web.json_response(await users.friends_of(request.app[DB], caller(request)))


@routes.post("/api/users/friends")
async def add_friend(request: web.Request) -> web.Response:
    """Follow a player's online status; the caller's open sockets hear it from now on (`userStatus`)."""
    user = caller(request)
    body = await read_body(request, FriendBody)
    await users.add_friend(request.app[DB], user, body.nickname)
    await announce.watch(request.app[WORLD].sio, await users.sockets_of(request.app[DB], user), [body.nickname])
    return web.json_response(await users.friends_of(request.app[DB], user), status=201)


@routes.delete("/api/users/friends/{nickname}")
async def remove_friend(request: web.Request) -> web.Response:
    user = caller(request)
    nickname = path_param(request, "nickname", Nickname)
    await users.remove_friend(request.app[DB], user, nickname)
    await announce.unwatch(request.app[WORLD].sio, await users.sockets_of(request.app[DB], user), nickname)
    return web.json_response(await users.friends_of(request.app[DB], user))
