"""CORS: only the origins in CORS_ORIGINS (and the server's own) may open Socket.IO connections or call the REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from game_backend.storage.database import Database, connect
from game_backend.testing import running_server

from ..js_players import JsPlayers

ALLOWED = "https://game.example.com"
FOREIGN = "https://evil.example.net"
TRANSPORTS = [["polling"], ["websocket"], None]  # None: the default, polling then upgrade


@pytest.fixture
async def strict_server(mongodb_uri: str, database_name: str) -> AsyncIterator[str]:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              cors_origins=(ALLOWED, "http://localhost:5173")) as base_url:
        yield base_url


@pytest.fixture
async def strict_js(strict_server: str) -> AsyncIterator[JsPlayers]:
    group = JsPlayers(strict_server)
    yield group
    await group.close()


def client_options(transports: list[str] | None, origin: str) -> dict:
    options: dict = {"extraHeaders": {"Origin": origin}}
    if transports:
        options["transports"] = transports
    return options


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_a_listed_origin_connects(strict_js: JsPlayers, transports: list[str] | None) -> None:
    player = await strict_js.join("allowed", **client_options(transports, ALLOWED))
    assert await player.call("login", "allowed") == {"ok": True, "nickname": "allowed"}


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_another_origin_is_refused(strict_js: JsPlayers, transports: list[str] | None) -> None:
    player = await strict_js.start("foreign", **client_options(transports, FOREIGN))
    outcome = await player.record(lambda r: r["type"] in ("connect", "connect_error"))
    assert outcome["type"] == "connect_error"


async def test_the_servers_own_pages_connect_without_being_listed(strict_js: JsPlayers) -> None:
    player = await strict_js.join("lobby", **client_options(None, strict_js.base_url))
    assert await player.call("login", "lobby") == {"ok": True, "nickname": "lobby"}


async def test_any_origin_connects_under_the_development_default(js: JsPlayers) -> None:
    player = await js.join("anywhere", **client_options(["polling"], FOREIGN))
    assert await player.call("login", "anywhere") == {"ok": True, "nickname": "anywhere"}


async def test_engineio_answers_a_listed_origin_with_cors_headers(strict_server: str) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{strict_server}/socket.io/?EIO=4&transport=polling"
        async with http.get(url, headers={"Origin": ALLOWED}) as response:
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
        async with http.get(url, headers={"Origin": FOREIGN}) as response:
            assert response.status == 400
            assert "Access-Control-Allow-Origin" not in response.headers


async def test_rest_preflight_and_calls_from_a_listed_origin(strict_server: str) -> None:
    async with aiohttp.ClientSession() as http:
        preflight = {"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}
        async with http.options(f"{strict_server}/api/users/guest", headers=preflight) as response:
            assert response.status == 204
            assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
            assert "POST" in response.headers["Access-Control-Allow-Methods"]
            assert response.headers["Access-Control-Allow-Headers"] == "content-type"
        async with http.post(f"{strict_server}/api/users/guest", json={"nickname": "민수"},
                             headers={"Origin": ALLOWED}) as response:
            assert response.status == 201
            assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
            token = (await response.json())["jwtoken"]
        # A failure answer carries the headers too, so the page can read why.
        async with http.post(f"{strict_server}/api/rooms/create", json={"type": "nope"},
                             headers={"Origin": ALLOWED, "Authorization": f"Bearer {token}"}) as response:
            assert response.status == 400
            assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


async def test_rest_refuses_another_origin_and_changes_nothing(
    strict_server: str, mongodb_uri: str, database_name: str
) -> None:
    database: Database = connect(mongodb_uri, database_name)
    try:
        users_before = await database.users.count_documents({})
        async with aiohttp.ClientSession() as http:
            preflight = {"Origin": FOREIGN, "Access-Control-Request-Method": "POST"}
            async with http.options(f"{strict_server}/api/users/guest", headers=preflight) as response:
                assert response.status == 403
                assert "Access-Control-Allow-Origin" not in response.headers
            async with http.post(f"{strict_server}/api/users/guest", json={"nickname": "intruder"},
                                 headers={"Origin": FOREIGN}) as response:
                assert response.status == 403
                body = await response.json()
                assert body["code"] == "FORBIDDEN" and FOREIGN in body["message"]
            # Without an Origin header (not a browser's cross-origin request) the API answers as usual.
            async with http.get(f"{strict_server}/api/songs") as response:
                assert response.status == 200
        assert await database.users.count_documents({}) == users_before
    finally:
        await database.close()
