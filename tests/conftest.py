"""Shared fixtures: one database process per test session, one database name per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from game_backend.controllers import songs
from game_backend.storage.database import Database, connect
from game_backend.storage.embedded import EmbeddedDatabase
from game_backend.testing import running_server

from .dbstate import inspected
from .players import Players


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """A real `mongod` where MONGODB_URI points to one; otherwise one embedded SecantusDB for the session."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        yield uri
        return
    with EmbeddedDatabase() as embedded:
        yield embedded.uri


@pytest.fixture
def database_name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


async def _open_database(uri: str, name: str, driver: str) -> Database:
    database = connect(uri, name, driver, timeout=30)
    await database.ensure_indexes()
    await songs.seed(database)
    return database


@pytest.fixture(params=["motor", "pymongo"])
async def db(request: pytest.FixtureRequest, mongodb_uri: str, database_name: str) -> AsyncIterator[Database]:
    """The test's own database, through each driver in turn."""
    database = await _open_database(mongodb_uri, database_name, request.param)
    yield database
    await database.client.drop_database(database_name)
    await database.close()


@pytest.fixture
async def server(mongodb_uri: str, database_name: str) -> AsyncIterator[str]:
    """The real app on a free port, on the test's own database; yields its base URL."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name) as base_url:
        yield base_url


@pytest.fixture
async def server_db(server: str, mongodb_uri: str, database_name: str) -> AsyncIterator[Database]:
    """A handle on the database the `server` fixture uses, for assertions."""
    async with inspected(mongodb_uri, database_name) as database:
        yield database


@pytest.fixture(params=["websocket", "polling"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def players(server: str, transport: str) -> AsyncIterator[Players]:
    """Signs guests in and connects them over the test's transport; disconnects them all at the end."""
    group = Players(server, transport)
    yield group
    await group.close()
