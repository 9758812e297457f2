"""GET /socket.io/socket.io.js (and .min.js, .esm.min.js, their source maps): the JavaScript client.

The Node.js Socket.IO server serves its client bundle so that a page needs no
CDN; this does the same. The files come from the `socket.io-client` npm
package that `make run` / `make test` install with `npm ci` from the
repository's package-lock.json, so the served client is a pinned release and
no copy is committed; an installed wheel holds a copy made at build time
(assets.py). SOCKETIO_CLIENT_DIR points elsewhere (the package's `dist`
folder).

The routes name the files exactly: every other path under /socket.io/ stays
the Engine.IO server's (its endpoint is `/socket.io/` itself).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from aiohttp import web

from ..app_keys import SETTINGS
from ..config import Settings
from .assets import located

log = logging.getLogger(__name__)

DEFAULT_DIR = located("socket.io-client")
# The msgpack bundle is left out: it speaks a parser this server does not use.
FILES = ("socket.io.js", "socket.io.min.js", "socket.io.esm.min.js")
CONTENT_TYPES = {".js": "application/javascript; charset=utf-8", ".map": "application/json; charset=utf-8"}
NOT_INSTALLED_HINT = (
    "The socket.io-client package is not installed, so /socket.io/{name} cannot be served.\n"
    "Run `make run` (or `npm ci` in the repository), or set SOCKETIO_CLIENT_DIR to the `dist` folder "
    "of an installed socket.io-client.\nLooked in: {where}\n"
)


def client_dir(settings: Settings) -> Path:
    return Path(settings.socketio_client_dir) if settings.socketio_client_dir else DEFAULT_DIR


async def serve(request: web.Request) -> web.StreamResponse:
    """One client file, with ETag / Last-Modified so a browser revalidates instead of downloading again."""
    name = request.match_info["name"]
    where = client_dir(request.app[SETTINGS])
    path = where / name
    if not path.is_file():
        return web.Response(status=404, text=NOT_INSTALLED_HINT.format(name=name, where=where))
    return web.FileResponse(
        path,
        headers={
            "Content-Type": CONTENT_TYPES[path.suffix],
            "Cache-Control": "public, max-age=0",
        },
    )


def setup(app: web.Application, settings: Settings, prefix: str = "/socket.io") -> None:
    """Add the route for exactly these file names; warn once at start-up if the package is missing."""
    names = "|".join(re.escape(served) for name in FILES for served in (name, f"{name}.map"))
    app.router.add_get(f"{prefix}/{{name:(?:{names})}}", serve)
    where = client_dir(settings)
    if not (where / FILES[0]).is_file():
        log.warning(
            "socket.io-client is not installed in %s: /socket.io/socket.io.js will answer 404 "
            "(run `npm ci` in the repository or set SOCKETIO_CLIENT_DIR)",
            where,
        )
