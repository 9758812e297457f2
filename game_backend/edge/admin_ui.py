"""The Socket.IO Admin UI at /admin/, with ADMIN_USERNAME and ADMIN_PASSWORD set.

The server side is python-socketio's own instrumentation
(`AsyncServer.instrument`: an `/admin` namespace that reports sockets, rooms,
events and server stats); the page is the `@socket.io/admin-ui` npm
package's `ui/dist`, installed by `npm ci` from the repository's
package-lock.json (or copied into the wheel, see assets.py) and served here,
so no page of admin.socket.io is needed.
Read-only by default (ADMIN_READ_ONLY). The instrumentation wraps the
client manager's emit and room changes to report them: it costs every emit
something, which is why it is off unless configured.
"""

from __future__ import annotations

import logging

from aiohttp import web

from ..app_keys import WORLD
from ..config import Settings
from .assets import located

log = logging.getLogger(__name__)

UI_DIR = located("admin-ui")
NAMESPACE = "/admin"


def setup(app: web.Application, settings: Settings) -> None:
    if settings.admin_username is None or settings.admin_password is None:
        return
    app[WORLD].sio.instrument(
        auth={"username": settings.admin_username, "password": settings.admin_password},
        mode="development",
        read_only=settings.admin_read_only,
        namespace=NAMESPACE,
        server_stats_interval=2,
    )
    log.info(
        "the Socket.IO Admin UI is on at /admin/ (%s)",
        "read-only" if settings.admin_read_only else "it may act on sockets",
    )
    if not (UI_DIR / "index.html").is_file():
        log.warning(
            "the Admin UI's page is not installed (%s): run `npm ci`; its namespace %s still answers the hosted UI",
            UI_DIR,
            NAMESPACE,
        )
        return

    async def index(_: web.Request) -> web.FileResponse:
        return web.FileResponse(UI_DIR / "index.html")

    async def slash(_: web.Request) -> web.Response:
        raise web.HTTPFound("/admin/")

    app.router.add_get("/admin", slash)
    app.router.add_get("/admin/", index)
    app.router.add_static("/admin/", UI_DIR)
