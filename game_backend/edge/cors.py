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


def engine_origin_check(settings: Settings) -> Callable[[web.Request], bool] | None:
    """Whether a browser page may open a Socket.IO session (the Engine.IO server's `allow_origin`); None: any page."""
    policy = OriginPolicy(settings.cors_origins)
    if policy.any:
        return None

    def allowed(request: web.Request) -> bool:
        own = _own_origin(request.scheme, request.host, request.headers.get("X-Forwarded-Proto"))
        return policy.allows(request.headers["Origin"], own)

    return allowed


def cors_middleware(settings: Settings) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """CORS for the REST routes (scoped to /api/): headers and preflights for allowed origins, 403 for others."""
    policy = OriginPolicy(settings.cors_origins)

    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is None:
            return await handler(request)
        own = _own_origin(request.scheme, request.host, request.headers.get("X-Forwarded-Proto"))
        if not policy.allows(origin, own):
            error = GameError(
                "FORBIDDEN", f"origin {origin} is not allowed; the server's CORS_ORIGINS lists the allowed ones"
            )
            return web.json_response(error.body(), status=403)
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response: web.StreamResponse = web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": request.headers.get(
                        "Access-Control-Request-Headers", DEFAULT_ALLOWED_HEADERS
                    ),
                    "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
                },
            )
        else:
            try:
                response = await handler(request)
            except web.HTTPException as error:
                _allow(error, origin)
                raise
        _allow(response, origin)
        return response

    return cors


def _allow(response: web.StreamResponse, origin: str) -> None:
    """The page at `origin` may read the answer, with credentials too (Motion Beat's client asks so, twice)."""
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    response.headers["Vary"] = "Origin"
