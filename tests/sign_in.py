"""Helpers for the account and hostile-input tests: a server with cheap bcrypt, accounts, sockets that may be refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from game_backend.storage.database import Database
from game_backend.testing import WAIT, rest, running_server

from .dbstate import inspected

FAST_BCRYPT = 4  # the lowest cost bcrypt accepts: the tests check behaviour, not hashing strength


@pytest.fixture
async def site(mongodb_uri: str, database_name: str) -> AsyncIterator[str]:
    """The real app with a cheap bcrypt cost, on the test's own database."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, bcrypt_rounds=FAST_BCRYPT) as url:
        yield url


@pytest.fixture
async def site_db(site: str, mongodb_uri: str, database_name: str) -> AsyncIterator[Database]:
    """A handle on the database the `site` fixture uses, for assertions."""
    async with inspected(mongodb_uri, database_name) as database:
        yield database


async def sign_up(base_url: str, email: str, nickname: str, pw: str = "correct horse") -> dict[str, Any]:
    status, body = await rest(base_url, "POST", "/api/users/signup", body={"email": email, "nickname": nickname, "pw": pw})
    assert status == 201, body
    return body


async def log_in(base_url: str, email: str, pw: str = "correct horse") -> str:
    status, body = await rest(base_url, "POST", "/api/users/login", body={"email": email, "pw": pw})
    assert status == 200, body
    return body["jwtoken"]


async def try_connect(base_url: str, token: Any = None, transport: str = "websocket",
                      headers: dict[str, str] | None = None) -> tuple[socketio.AsyncClient | None, Any]:
    """Connect a python-socketio client; returns (client, None) or (None, the connect_error data)."""
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append)
    auth = None if token is None else {"token": token}
    try:
        await client.connect(base_url, auth=auth, transports=[transport], headers=headers or {}, wait_timeout=WAIT)
    except socketio.exceptions.ConnectionError as error:
        return None, refusals[0] if refusals else str(error)
    return client, None
