"""The pytest plugin: installing game_backend is enough (its `pytest11` entry point loads this module).

Fixtures (async ones need pytest-asyncio: `pip install game_backend[testing]`):

    game_server        the app on a free port, on a database of the test's own; yields its base URL
    players            a Players factory for that server: `ann = await players("ann")`
    room               seats players in a new room: `seated = await room(3)` or `await room("ann", "bob")`
    game_backend_settings   override it to change the server's settings (a dict: the README table's variable
                       names, `{"HIT_RATE": "5"}`, or Settings fields, `{"hit_rate": 5}`)

One embedded SecantusDB serves the whole session (`MONGODB_URI` set: that
database instead), with a database name per test; set the ini option
`game_backend_database = test` for a database process per test instead.
The default settings are the server's, less the costs a test does not need:
`TEST_SETTINGS`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from ..storage.embedded import EmbeddedDatabase
from .players import Players, SeatedRoom, seat_room
from .server import TEST_SETTINGS, running_server

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixtures then say what is missing instead of breaking pytest
    pytest_asyncio = None  # type: ignore[assignment]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "game_backend_database",
        "game_backend's fixtures: one database process per `session` (a database name per test) or per `test`",
        default="session",
    )


def _async_fixture(function: Callable[..., Any]) -> Any:
    if pytest_asyncio is None:

        def missing(*_: Any, **__: Any) -> None:
            pytest.fail("game_backend's fixtures need pytest-asyncio: pip install 'game_backend[testing]'")

        missing.__name__ = function.__name__
        return pytest.fixture(missing)
    return pytest_asyncio.fixture(function)


@pytest.fixture(scope="session")
def game_backend_mongodb_uri(pytestconfig: pytest.Config) -> Iterator[str | None]:
    """MONGODB_URI when set; otherwise one embedded in-memory SecantusDB for the session (None: per test)."""
    uri = os.environ.get("MONGODB_URI")
    if uri:
        yield uri
    elif pytestconfig.getini("game_backend_database") == "test":
        yield None
    else:
        with EmbeddedDatabase() as embedded:
            yield embedded.uri


@pytest.fixture
def game_backend_database_name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


@pytest.fixture
def game_backend_settings() -> dict[str, Any]:
    """The server's settings for `game_server` (variable names or Settings fields); override this fixture to change
    them."""
    return dict(TEST_SETTINGS)


@_async_fixture
async def game_server(
    game_backend_mongodb_uri: str | None, game_backend_database_name: str, game_backend_settings: dict[str, Any]
) -> AsyncIterator[str]:
    """The app on a free port, on the test's own database; yields its base URL."""
    async with running_server(
        mongodb_uri=game_backend_mongodb_uri, database_name=game_backend_database_name, **game_backend_settings
    ) as base_url:
        yield base_url


@_async_fixture
async def players(game_server: str) -> AsyncIterator[Players]:
    """Signed-in guests on WebSocket clients that record every event: `ann = await players("ann")`."""
    group = Players(game_server)
    yield group
    await group.close()


@pytest.fixture
def room(players: Players) -> Callable[..., Awaitable[SeatedRoom]]:
    """`seated = await room(3)` or `await room("ann", "bob")`: players seated in a new room, the first hosting."""

    async def seat(*who: str | int) -> SeatedRoom:
        return await seat_room(players, *who)

    return seat
