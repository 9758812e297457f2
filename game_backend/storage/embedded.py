"""The embedded development database: a SecantusDB server run as a child process.

SecantusDB speaks the MongoDB wire protocol on a real socket, so the server and
the tests talk to it exactly as they would to `mongod`. It is started on a free
127.0.0.1 port, waited for until it answers `ping`, and stopped on exit.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

SECANTUS_COMMAND = "secantusd-py"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _find_command() -> str:
    beside_python = Path(sys.executable).parent / SECANTUS_COMMAND
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(SECANTUS_COMMAND)
    if found is None:
        raise EmbeddedDatabaseError(
            f"{SECANTUS_COMMAND} was not found: install the project (`make run` does) "
            "or set MONGODB_URI to a running MongoDB"
        )
    return found


class EmbeddedDatabase:
    """A SecantusDB child process. `data_dir=None` keeps the data in memory only."""

    def __init__(self, data_dir: str | Path | None = None, host: str = "127.0.0.1") -> None:
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self.host = host
        self.port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def uri(self) -> str:
        if self.port is None:
            raise EmbeddedDatabaseError("the embedded database is not running")
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    @property
    def log_path(self) -> Path:
        return self._log_dir() / "secantusd.log"

    def _log_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir.parent
        assert self._workdir is not None
        return Path(self._workdir.name)

    def start(self, timeout: float = 30.0) -> str:
        """Start the server, wait until it answers `ping`, and return its URI."""
        command = _find_command()
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = str(self.data_dir)
        else:
            storage = ":memory:"
        # A private working directory, so that no stray ./secantusd.toml is picked up.
        self._workdir = tempfile.TemporaryDirectory(prefix="secantusd-")
        self.port = free_port(self.host)
        where = storage if self.data_dir is not None else "memory"
        log.info("starting the embedded database (SecantusDB) on %s:%s, data in %s", self.host, self.port, where)
        with open(self.log_path, "ab") as log_file:
            self._process = subprocess.Popen(
                [command, "--host", self.host, "--port", str(self.port), "--storage-path", storage,
                 "--sync-on-commit", "--log-level", "WARNING"],
                cwd=self._workdir.name,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self._wait_until_ready(timeout)
        return self.uri

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = MongoClient(self.uri, serverSelectionTimeoutMS=500)
        try:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise EmbeddedDatabaseError(
                        f"the embedded database exited with code {self._process.returncode}; "
                        f"its log is {self.log_path}:\n{self._log_tail()}"
                    )
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise EmbeddedDatabaseError(
                            f"the embedded database did not answer within {timeout:.0f} s; log: {self.log_path}"
                        ) from None
                    time.sleep(0.1)
        finally:
            client.close()

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> EmbeddedDatabase:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
