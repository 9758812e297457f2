"""GET /socket.io/socket.io.js and friends: the JavaScript client, served from the npm package like the Node server does."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from game_backend.edge.client_script import DEFAULT_DIR
from game_backend.testing import running_server

LOCKED_VERSION = json.loads((Path(__file__).parents[2] / "package-lock.json").read_text())[
    "packages"]["node_modules/socket.io-client"]["version"]


@pytest.mark.parametrize("name, content_type", [
    ("socket.io.js", "application/javascript"),
    ("socket.io.min.js", "application/javascript"),
    ("socket.io.esm.min.js", "application/javascript"),
    ("socket.io.js.map", "application/json"),
    ("socket.io.min.js.map", "application/json"),
])
async def test_the_client_files_are_served_from_the_installed_package(server: str, name: str, content_type: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server}/socket.io/{name}") as response:
            assert response.status == 200
            assert response.content_type == content_type
            body = await response.read()
    assert body == (DEFAULT_DIR / name).read_bytes()


async def test_the_served_client_is_the_locked_release_and_revalidates(server: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server}/socket.io/socket.io.js") as response:
            assert f"Socket.IO v{LOCKED_VERSION}" in await response.text()
            etag = response.headers["ETag"]
        async with http.get(f"{server}/socket.io/socket.io.js", headers={"If-None-Match": etag}) as response:
            assert response.status == 304


async def test_engineio_still_owns_the_rest_of_the_path(server: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server}/socket.io/", params={"EIO": "4", "transport": "polling"}) as response:
            assert response.status == 200
            handshake = await response.text()
        async with http.get(f"{server}/socket.io/socket.io.msgpack.min.js") as response:
            assert response.status == 404
    assert handshake.startswith("0") and "sid" in json.loads(handshake[1:])


async def test_a_missing_package_answers_404_with_a_hint(mongodb_uri: str, database_name: str, tmp_path: Path) -> None:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              socketio_client_dir=str(tmp_path)) as base_url:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base_url}/socket.io/socket.io.js") as response:
                assert response.status == 404
                hint = await response.text()
    assert "npm ci" in hint and "SOCKETIO_CLIENT_DIR" in hint and str(tmp_path) in hint
