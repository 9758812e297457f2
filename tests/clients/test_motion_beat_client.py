"""Motion Beat's own web client, replayed flow by flow (tests/js/motion_beat.mjs), and its socket login's limits.

The client opens its socket before anyone signs in and then names its player
with `login(nickname)`. That is accepted only with MOTION_BEAT_COMPAT on, and
only for a player holding a live sign-in from the same client address.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from game_backend.testing import WAIT, rest, running_server

from ..sign_in import FAST_BCRYPT, log_in, sign_up, try_connect
from ..js_players import HARNESS, node_binary

FLOWS = [
    "sign up and log in, socket login after the REST login", "friends with online state",
    "create a room and join it by code", "quick match", "chat both ways", "pick an instrument",
    "the host changes the song", "ready and start: both reach the game and see their notes",
    "live scores, each when its note can be hit",
    "the round ends and the results show", "rankings by title", "favorite and recent songs", "leave", "tutorial",
    "a friend going offline is seen",
]


@pytest.fixture
async def compat_server(mongodb_uri: str, database_name: str) -> AsyncIterator[str]:
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, motion_beat_compat=True,
                              bcrypt_rounds=FAST_BCRYPT, trusted_proxies=("127.0.0.1",)) as url:
        yield url


async def test_every_flow_of_the_client_works(compat_server: str) -> None:
    process = await asyncio.create_subprocess_exec(
        node_binary(), str(HARNESS / "motion_beat.mjs"), compat_server,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    results = [json.loads(line) for line in stdout.decode().splitlines() if line.strip()]
    failed = [result for result in results if not result["ok"]]
    assert not failed, "\n".join(f"{r['flow']}: {r['error']}" for r in failed) + stderr.decode()[-2000:]
    assert [result["flow"] for result in results] == FLOWS
    assert process.returncode == 0


async def test_without_the_setting_an_anonymous_login_is_refused(server: str) -> None:
    await sign_up(server, "ann@example.com", "ann", pw="abc12345")
    await log_in(server, "ann@example.com", pw="abc12345")
    client, refusal = await try_connect(server)
    assert client is not None, refusal
    answer = await client.call("login", "ann", timeout=WAIT)
    assert answer["ok"] is False and answer["code"] == "NOT_AUTHENTICATED"
    await client.disconnect()


async def test_the_socket_login_needs_a_live_sign_in_from_the_same_address(compat_server: str) -> None:
    elsewhere = {"X-Forwarded-For": "203.0.113.7"}  # believed: 127.0.0.1 is a trusted proxy in this server
    status, _ = await rest_with(compat_server, "/api/users/signup", {"email": "bo@example.com", "nickname": "bo",
                                                                      "pw": "abc123"}, elsewhere)
    assert status == 201  # six characters: Motion Beat's minimum, accepted with the setting
    status, signed = await rest_with(compat_server, "/api/users/login", {"email": "bo@example.com", "pw": "abc123"},
                                     elsewhere)
    assert status == 200
    client, _ = await try_connect(compat_server)  # from 127.0.0.1, not where bo signed in
    answer = await client.call("login", "bo", timeout=WAIT)
    assert answer["ok"] is False and answer["code"] == "NOT_AUTHENTICATED"
    answer = await client.call("login", "nobody", timeout=WAIT)
    assert answer["ok"] is False and answer["code"] == "NOT_AUTHENTICATED"
    # Signed in from here too, then signed out: no live sign-in is left, so the login is refused again.
    status, here = await rest(compat_server, "POST", "/api/users/login", body={"email": "bo@example.com", "pw": "abc123"})
    assert status == 200
    assert (await client.call("login", "bo", timeout=WAIT))["ok"] is True
    await client.disconnect()
    assert (await rest(compat_server, "PATCH", "/api/users/logout", here["jwtoken"]))[0] == 200
    client, _ = await try_connect(compat_server)
    answer = await client.call("login", "bo", timeout=WAIT)
    assert answer["ok"] is False and answer["code"] == "NOT_AUTHENTICATED"
    await client.disconnect()
    assert signed["nickname"] == "bo"


async def rest_with(base_url: str, path: str, body: dict, headers: dict[str, str]) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}{path}", json=body, headers=headers) as response:
            return response.status, await response.json()
