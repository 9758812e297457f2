"""The embedded database dies with its server, and one an earlier crash left behind is stopped at the next start."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from game_backend.storage import embedded
from game_backend.storage.embedded import (
    SECANTUS_COMMAND,
    EmbeddedDatabase,
    EmbeddedDatabaseError,
    _processes,
    _storage_of,
    free_port,
)

from ..servers import ServerProcess

WAIT = 30.0  # a database stopping under a busy machine (the whole suite on two workers) may take its time


def databases_on(data_dir: Path) -> list[int]:
    """The pids of the SecantusDB processes serving `data_dir`."""
    storage = str(data_dir.resolve())
    return [pid for pid, arguments in _processes()
            if any(Path(argument).name == SECANTUS_COMMAND for argument in arguments[:2])
            and _storage_of(arguments) == storage]


async def until(condition: object, what: str) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.1)


async def test_the_embedded_database_dies_with_a_killed_server(tmp_path: Path) -> None:
    data = tmp_path / "db"
    server = await ServerProcess({"DATA_DIR": str(data)}, log=tmp_path / "server.log").start()
    try:
        children = databases_on(data)
        assert len(children) == 1
        server.kill()  # SIGKILL: the server runs no cleanup
        await until(lambda: not databases_on(data), "the embedded database to stop")
    finally:
        server.stop()


async def test_a_database_left_behind_is_stopped_and_the_server_starts(tmp_path: Path) -> None:
    data = tmp_path / "db"
    data.mkdir()
    command = shutil.which(SECANTUS_COMMAND) or str(Path(sys.executable).with_name(SECANTUS_COMMAND))
    # Started by a shell that exits at once, it is an orphan, as one left behind by a crash would be.
    subprocess.run(["sh", "-c", f"'{command}' --host 127.0.0.1 --port {free_port()} --storage-path '{data}' "
                    "--log-level WARNING >/dev/null 2>&1 &"], check=True)
    await until(lambda: databases_on(data), "the orphan to start")
    orphans = databases_on(data)
    server = await ServerProcess({"DATA_DIR": str(data)}, log=tmp_path / "server.log").start()
    try:
        assert not set(orphans) & set(databases_on(data))
        assert "left behind" in (tmp_path / "server.log").read_text()
    finally:
        server.stop()
        await until(lambda: not databases_on(data), "the server's database to stop")


def test_a_database_that_lost_its_port_to_another_is_not_taken_for_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another server takes the chosen port before ours binds it: its answers must not pass for ours."""
    with EmbeddedDatabase() as other:
        monkeypatch.setattr(embedded, "free_port", lambda host: other.port)
        late = EmbeddedDatabase()
        with pytest.raises(EmbeddedDatabaseError, match="exited"):
            late.start(timeout=20)
        late.stop()


def test_the_embedded_database_runs_without_retryable_writes() -> None:
    """SecantusDB keeps a record of every retryable write and scans it on each one: after about 10,000 writes
    (one storm of 2,000 players) every write cost ten times more. One local process has no failover for a
    retried write to survive, so the embedded database's URI turns them off."""
    database = EmbeddedDatabase()
    database.port = 27017  # the URI only
    assert "retryWrites=false" in database.uri
