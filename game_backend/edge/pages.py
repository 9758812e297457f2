"""The lobby page: `frontend/index.html` at `/` and its files under `/static/`.

The page is plain HTML, CSS and ES modules, served as they are (no build step).
Everything lives under `/` and `/static/` only, so `/api/...`, `/socket.io/...`
and `/healthz` keep their own routes. Files are sent with `Cache-Control:
no-cache`: the browser revalidates them (a cheap 304), so a changed module is
never run beside a stale one.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from .assets import located

log = logging.getLogger(__name__)

FRONTEND_DIR = located("frontend")
STATIC_PREFIX = "/static/"


def setup_frontend(app: web.Application, directory: Path = FRONTEND_DIR) -> None:
    """Serve the page from `directory`; without an index.html there (an installed wheel), serve nothing."""
    index = directory / "index.html"
    if not index.is_file():
        log.info("no lobby page at %s: / is not served", directory)
        return

    async def page(request: web.Request) -> web.FileResponse:
        return web.FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.router.add_get("/", page, name="page")
    app.router.add_static(STATIC_PREFIX, directory, name="static")
    app.on_response_prepare.append(_revalidate_static)


async def _revalidate_static(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith(STATIC_PREFIX):
        response.headers["Cache-Control"] = "no-cache"
