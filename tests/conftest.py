"""Shared fixtures: one database process per test session, one database name per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from game_backend.controllers import songs
from game_backend.storage.database import Database, connect
from game_backend.testing import Players

from .dbstate import inspected

# Modules whose fixtures every test module may ask for by name, without importing them.
pytest_plugins = ["tests.sign_in", "tests.clusters", "tests.hostile.arena", "tests.js_players"]
# Other projects' suites, each run in a process of its own: by test_examples.py and test_release.py.
collect_ignore = ["examples", "downstream"]


@pytest.fixture(scope="session")
def mongodb_uri(game_backend_mongodb_uri: str | None) -> str:
    """The session's database process (game_backend's pytest plugin): a real `mongod` where MONGODB_URI points to
    one; otherwise one embedded SecantusDB."""
    assert game_backend_mongodb_uri is not None, "this suite shares one database process per session"
    return game_backend_mongodb_uri


@pytest.fixture
def database_name(game_backend_database_name: str) -> str:
    return game_backend_database_name


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
def server(game_server: str) -> str:
    """The real app on a free port, on the test's own database (the plugin's `game_server`); its base URL."""
    return game_server


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
    """The plugin's `players`, over each transport in turn."""
    group = Players(server, transport)
    yield group
    await group.close()
