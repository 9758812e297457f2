"""The page's files are served at / and /static/ without shadowing /api, /socket.io or /healthz."""

from __future__ import annotations

import aiohttp
from yarl import URL


async def get(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as http:
        # encoded=True sends the path as written: "../" is not tidied away by the client.
        async with http.get(URL(url, encoded=True), allow_redirects=False) as response:
            return response.status, dict(response.headers), await response.read()


async def test_page_and_its_files(server: str) -> None:
    status, headers, body = await get(f"{server}/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-cache"
    assert b'<script src="/socket.io/socket.io.js"></script>' in body

    for path, kind in (("/static/js/main.js", "javascript"), ("/static/style.css", "text/css"),
                       ("/static/favicon.svg", "image/svg+xml")):
        status, headers, _ = await get(f"{server}{path}")
        assert status == 200, path
        assert kind in headers["Content-Type"], (path, headers["Content-Type"])
        assert headers["Cache-Control"] == "no-cache", path


async def test_other_routes_keep_their_own_answers(server: str) -> None:
    status, headers, _ = await get(f"{server}/healthz")
    assert status == 200
    status, headers, _ = await get(f"{server}/api/no-such-route")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    status, headers, body = await get(f"{server}/socket.io/socket.io.js")
    assert status == 200 and b"io" in body
    status, _, _ = await get(f"{server}/socket.io/?EIO=4&transport=polling")
    assert status == 200


async def test_nothing_outside_frontend_is_served(server: str) -> None:
    for path in ("/static/../pyproject.toml", "/static/%2e%2e/pyproject.toml", "/static/", "/pyproject.toml",
                 "/static/js/../../game_backend/config.py"):
        status, _, body = await get(f"{server}{path}")
        assert status in (403, 404), path
        assert b"jwt_secret" not in body and b"[project]" not in body, path
