"""What every REST route shares: JSON errors, reading bodies, and who is calling."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from ..app_keys import DB, METRICS, SETTINGS
from ..controllers import users
from ..errors import GameError, internal, unavailable
from ..identity.tokens import Identity, read_token
from ..storage.deadline import deadline, is_outage
from ..storage.round_trips import counted
from ..validation import parse

log = logging.getLogger(__name__)
T = TypeVar("T")


def no_token() -> GameError:
    return GameError(
        "NOT_AUTHENTICATED", "send Authorization: Bearer <token>; get a token from /api/users/guest or /api/users/login"
    )


_IDENTITY: web.RequestKey[Identity | GameError] = web.RequestKey("identity")


def error_response(error: GameError, status: int | None = None) -> web.Response:
    return web.json_response(error.body(), status=status or error.http_status)


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every failure of an /api route answers `{"message", "code"}` with a fitting status (scoped to /api/).

    The route's database work keeps one deadline (DATABASE_TIMEOUT): past it, 503 UNAVAILABLE. Its database
    commands are counted for the metrics, under the route's name (`PATCH /api/rooms/join/{code}`).
    """
    try:
        with counted(_commands_counter(request)):
            async with deadline(request.app[SETTINGS].database_timeout):
                return await handler(request)
    except GameError as error:
        return error_response(error)
    except web.HTTPRequestEntityTooLarge:
        return error_response(GameError("INVALID_PAYLOAD", "the request body is too large"), 413)
    except web.HTTPNotFound:
        return error_response(GameError("NOT_FOUND", f"no route {request.method} {request.path}"))
    except web.HTTPMethodNotAllowed:
        return error_response(GameError("INVALID_PAYLOAD", f"{request.method} is not allowed on {request.path}"), 405)
    except web.HTTPException:
        raise
    except Exception as error:
        if is_outage(error):
            log.warning(
                "%s %s: the database did not answer in time (%s)", request.method, request.path, type(error).__name__
            )
            return error_response(unavailable())
        log.exception("%s %s failed", request.method, request.path)
        return error_response(internal())


def _commands_counter(request: web.Request) -> Callable[[int], None] | None:
    """Where the route's database commands are counted (with METRICS on): under the route's name, as
    `PATCH /api/rooms/join/{code}`; an unknown path is no route, and counted nowhere."""
    metrics = request.app.get(METRICS)
    route = request.match_info.route.resource
    if metrics is None or route is None:
        return None
    return functools.partial(metrics.database_commands, f"{request.method} {route.canonical}")


async def read_body(request: web.Request, schema: type[T]) -> T:
    """The JSON body parsed as `schema`; an empty body counts as `{}`."""
    raw = await request.read()
    try:
        data: Any = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise GameError("INVALID_PAYLOAD", "the body is not valid JSON") from None
    except RecursionError:
        raise GameError("INVALID_PAYLOAD", "the body is nested too deeply") from None
    return parse(schema, data, "body")


@web.middleware
async def identify(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Check an /api request's Bearer token once, revocation included, so that `caller` stays a plain function."""
    if "Authorization" in request.headers:
        request[_IDENTITY] = await _verify(request)
    return await handler(request)


async def _verify(request: web.Request) -> Identity | GameError:
    scheme, _, token = request.headers["Authorization"].partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return no_token()
    try:
        identity = read_token(request.app[SETTINGS], token.strip())
        await users.check_token(request.app[DB], identity)
    except GameError as error:
        return error
    return identity


def caller(request: web.Request) -> Identity:
    """The user a request acts as, from `Authorization: Bearer <token>` (checked by `identify`)."""
    found = request.get(_IDENTITY)
    if isinstance(found, Identity):
        return found
    if isinstance(found, GameError):
        raise GameError(found.code, found.message)  # a new error per raise: see errors.py
    raise no_token()


def known_caller(request: web.Request) -> Identity | None:
    """The caller of a route open to everyone, when they sent a valid token; None otherwise."""
    found = request.get(_IDENTITY)
    return found if isinstance(found, Identity) else None


def path_param(request: web.Request, name: str, schema: Any) -> Any:
    """A URL path segment parsed as `schema` ("3" is a valid song number here)."""
    return parse(schema, request.match_info[name], name, strict=False)
