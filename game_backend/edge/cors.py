"""Which web pages may talk to this server: CORS for Socket.IO and for the REST API, from CORS_ORIGINS.

`*` (the development default) lets any page in. Otherwise a request that
carries an `Origin` header is let in only if that origin is listed, or if it
is the server's own origin (a page this server served itself, such as the
lobby: same-origin requests never need CORS). Requests without an `Origin`
header (curl, other servers, Node clients) are not browsers' cross-origin
requests and pass as before.

Socket.IO: the Engine.IO server refuses an unlisted origin's handshake with 400,
for long-polling and WebSocket alike. REST (/api/...): a listed origin gets
the Access-Control-* headers and its preflight answered; an unlisted one gets
403, so a foreign page cannot even create guest accounts through a visitor's
browser.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ..config import Settings
from ..errors import GameError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ALLOWED_METHODS = "GET, POST, PATCH, PUT, DELETE, OPTIONS"
ENGINE_METHODS = "GET, POST, OPTIONS"  # long-polling
DEFAULT_ALLOWED_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = "600"


class OriginPolicy:
    """The allowed origins, and the rule for the server's own origin."""

    def __init__(self, origins: tuple[str, ...]) -> None:
        self.any = "*" in origins
        self.listed = frozenset(origin.rstrip("/") for origin in origins)

    def allows(self, origin: str, own_origin: str | None) -> bool:
        return self.any or origin in self.listed or origin == own_origin


def _own_origin(scheme: str, host: str | None, forwarded_proto: str | None) -> str | None:
    """The origin a page served by this server has; a proxy's X-Forwarded-Proto names the public scheme."""
    if not host:
        return None
    if forwarded_proto:
        scheme = forwarded_proto.split(",")[0].strip()
    return f"{scheme}://{host}"


def _request_own_origin(request: web.Request) -> str | None:
    return _own_origin(request.scheme, request.host, request.headers.get("X-Forwarded-Proto"))


def allowing(origin: str) -> dict[str, str]:
    """The headers that let the page at `origin` read an answer, with credentials too (Motion Beat's client asks
    so, twice)."""
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}


def _preflight_answer(request: web.Request, methods: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers", DEFAULT_ALLOWED_HEADERS),
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }


class EngineCors:
    """CORS for Socket.IO (the Engine.IO transport's `cors`): the same policy and headers as the REST routes'."""

    def __init__(self, settings: Settings) -> None:
        self.policy = OriginPolicy(settings.cors_origins)

    def allows(self, request: web.Request) -> bool:
        """Whether the request's page (its Origin header) may open a session."""
        return self.policy.allows(request.headers["Origin"], _request_own_origin(request))

    def headers(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin")
        return allowing(origin) if origin is not None else {}

    def preflight(self, request: web.Request) -> dict[str, str]:
        return {**self.headers(request), **_preflight_answer(request, ENGINE_METHODS)}


def cors_middleware(settings: Settings) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """CORS for the REST routes (scoped to /api/): headers and preflights for allowed origins, 403 for others."""
    policy = OriginPolicy(settings.cors_origins)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is None:
            return await handler(request)
        if not policy.allows(origin, _request_own_origin(request)):
            error = GameError(
                "FORBIDDEN", f"origin {origin} is not allowed; the server's CORS_ORIGINS lists the allowed ones"
            )
            return web.json_response(error.body(), status=403)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response: web.StreamResponse = web.Response(status=204, headers=_preflight_answer(request, ALLOWED_METHODS))
        else:
            try:
                response = await handler(request)
            except web.HTTPException as error:
                error.headers.update(allowing(origin))
                raise
        response.headers.update(allowing(origin))
        return response

    return cors
