"""The embedded development database: a SecantusDB server run as a child process.

SecantusDB speaks the MongoDB wire protocol on a real socket, so the server and
the tests talk to it exactly as they would to `mongod`. It is started on a free
127.0.0.1 port, waited for until it answers `ping`, and stopped on exit.

It dies with the server: on Linux the child asks the kernel to kill it when
its parent goes (PR_SET_PDEATHSIG), so even a `kill -9` of the server stops
it. A database an earlier run left behind on the same data directory (which
would hold its files locked) is found at start, stopped, and logged.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

SECANTUS_COMMAND = "secantusd-py"
PR_SET_PDEATHSIG = 1


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


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


def _die_with_parent() -> None:
    """In the child, before it runs: be killed when the parent dies (Linux's PR_SET_PDEATHSIG).

    SIGKILL, not SIGTERM: the kernel sends the signal once for each thread of the dying parent the child is
    handed to in turn, and a burst of SIGTERMs deadlocks SecantusDB's own handler (it re-enters while holding
    a lock; seen once, a database left running for good). With --sync-on-commit a kill loses no acknowledged
    write; a clean stop (EmbeddedDatabase.stop) still sends one SIGTERM.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _stop_leftover(storage: str) -> None:
    """Stop an embedded database an earlier run left on `storage` (it keeps the files locked).

    One whose server is still running is that server's: starting a second server on the same data is refused.
    """
    for pid, arguments in _processes():
        if (
            not any(Path(argument).name == SECANTUS_COMMAND for argument in arguments[:2])
            or _storage_of(arguments) != storage
        ):
            continue
        parent = _parent_of(pid)
        if parent not in (None, 1, os.getpid()):
            raise EmbeddedDatabaseError(
                f"{storage} is in use by the embedded database of another running server (its process {parent}); "
                "stop that server or pass another --data-dir"
            )
        log.warning("an embedded database an earlier run left behind (pid %d) holds %s: stopping it", pid, storage)
        _terminate(pid)


def _processes() -> list[tuple[int, list[str]]]:
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        found.append((int(entry.name), [argument.decode(errors="replace") for argument in arguments if argument]))
    return found


def _parent_of(pid: int) -> int | None:
    try:
        # /proc/<pid>/stat: "pid (command) state ppid ...", the command possibly holding spaces or parentheses.
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _storage_of(arguments: list[str]) -> str | None:
    if "--storage-path" in arguments[:-1]:
        return str(Path(arguments[arguments.index("--storage-path") + 1]).resolve())
    return None


def _terminate(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


class EmbeddedDatabase:
    """A SecantusDB child process. `data_dir=None` keeps the data in memory only; `port=None` takes a free one."""

    def __init__(self, data_dir: str | Path | None = None, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve() if data_dir is not None else None
        self.host = host
        self.port: int | None = None  # chosen when it starts
        self._fixed_port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def uri(self) -> str:
        if self.port is None:
            raise EmbeddedDatabaseError("the embedded database is not running")
        return f"mongodb://{self.host}:{self.port}/?directConnection=true&retryWrites=false"

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
        self.launch()
        self.wait_until_ready(timeout)
        return self.uri

    def launch(self) -> None:
        """Start the child process. Call it from the thread that lives as long as the server (Linux sends the
        child its parent-death signal when the *thread* that started it ends)."""
        command = _find_command()
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            storage = str(self.data_dir)
            _stop_leftover(storage)
        else:
            storage = ":memory:"
        # A private working directory, so that no stray ./secantusd.toml is picked up.
        self._workdir = tempfile.TemporaryDirectory(prefix="secantusd-")
        self.port = self._fixed_port or free_port(self.host)
        where = storage if self.data_dir is not None else "memory"
        log.info("starting the embedded database (SecantusDB) on %s:%s, data in %s", self.host, self.port, where)
        with open(self.log_path, "ab") as log_file:
            self._process = subprocess.Popen(
                [
                    command,
                    "--host",
                    self.host,
                    "--port",
                    str(self.port),
                    "--storage-path",
                    storage,
                    "--sync-on-commit",
                    "--log-level",
                    "WARNING",
                ],
                cwd=self._workdir.name,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )

    def wait_until_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        client: MongoClient[dict[str, Any]] = MongoClient(self.uri, serverSelectionTimeoutMS=500)
        try:
            while True:
                assert self._process is not None
                if self._process.poll() is not None:
                    raise EmbeddedDatabaseError(
                        f"the embedded database exited with code {self._process.returncode}; "
                        f"its log is {self.log_path}:\n{self._log_tail()}"
                    )
                try:
                    # Ours, not whatever else took the port before our process could bind it (ours then exits).
                    if client.admin.command("serverStatus").get("pid") == self._process.pid:
                        return
                except PyMongoError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise EmbeddedDatabaseError(
                        f"the embedded database did not answer within {timeout:.0f} s; log: {self.log_path}"
                    )
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
