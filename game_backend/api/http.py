"""What every REST route shares: JSON errors, reading bodies, and who is calling."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pymongo.errors import ConnectionFailure

from ..errors import GameError
from ..keys import SETTINGS
from ..tokens import Identity, read_token
from ..validation import parse

log = logging.getLogger(__name__)
T = TypeVar("T")


def error_response(error: GameError, status: int | None = None) -> web.Response:
    return web.json_response(error.body(), status=status or error.http_status)


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every failure of an /api route answers `{"message", "code"}` with a fitting status."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except GameError as error:
        return error_response(error)
    except web.HTTPRequestEntityTooLarge:
        return error_response(GameError("INVALID_PAYLOAD", "the request body is too large"), 413)
    except web.HTTPNotFound:
        return error_response(GameError("NOT_FOUND", f"no route {request.method} {request.path}"))
    except web.HTTPMethodNotAllowed:
        return error_response(GameError("INVALID_PAYLOAD", f"{request.method} is not allowed on {request.path}"), 405)
    except ConnectionFailure:
        log.warning("%s %s: the database did not answer", request.method, request.path)
        return error_response(GameError("UNAVAILABLE", "the database is unavailable; try again shortly"))
    except web.HTTPException:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(GameError("INTERNAL", "something went wrong on the server"))


async def read_body(request: web.Request, schema: type[T]) -> T:
    """The JSON body parsed as `schema`; an empty body counts as `{}`."""
    raw = await request.read()
    try:
        data: Any = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise GameError("INVALID_PAYLOAD", "the body is not valid JSON") from None
    return parse(schema, data, "body")


def caller(request: web.Request) -> Identity:
    """The user a request acts as, from `Authorization: Bearer <token>`."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise GameError("NOT_AUTHENTICATED", "send Authorization: Bearer <token>; get a token from /api/users/guest")
    return read_token(request.app[SETTINGS], token.strip())


def path_param(request: web.Request, name: str, schema: Any) -> Any:
    return parse(schema, request.match_info[name], name)
