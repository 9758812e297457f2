"""The servers under test, as child processes: start, wait until ready, read CPU and memory from /proc, stop.

Each server runs in its own process group so that stopping it also stops what
it started (game_backend's embedded database). Nothing here sends traffic to
anything but 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

# Limits a load test must not trip, so the figures measure relaying, not refusing.
# EVENT_* and CHAT_* are the per-connection token buckets; HIT_RATE is the game
# round's own `hit` limit (60/s by default); MAX_CONNECTIONS_PER_IP caps sockets
# per address, and every bench client comes from 127.0.0.1.
BENCH_LIMITS = {
    "EVENT_RATE": "1000000",
    "EVENT_BURST": "1000000",
    "CHAT_RATE": "1000000",
    "CHAT_BURST": "1000000",
    "HIT_RATE": "1000000",
    "HIT_BURST": "1000000",
    "MAX_CONNECTIONS_PER_IP": "1000000",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system (kernel: system calls, the loopback TCP stack) CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


def rss_kb(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


@dataclass
class Server:
    """One server under test. `pids` are the processes whose CPU counts (the server, and its database if embedded)."""

    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s; see {self.log_path}")

    def cpu(self) -> float:
        """CPU seconds of the server process alone."""
        return cpu_seconds(self.pid)

    def cpu_system(self) -> float:
        """Kernel CPU seconds of the server process alone."""
        return cpu_times(self.pid)[1]

    def helpers_cpu(self) -> float:
        """CPU seconds of the server's child processes (game_backend's embedded database)."""
        total = 0.0
        for child in children(self.pid):
            try:
                total += cpu_seconds(child)
            except OSError:
                pass
        return total

    def rss_kb(self) -> int:
        return rss_kb(self.pid)

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def game_backend(results: Path, mongodb_uri: str | None = None, code: Path | None = None, **settings: str) -> Server:
    """This project's server, `python -m game_backend`, with its embedded database unless `mongodb_uri` is given.

    `code` runs the game_backend package of another checkout (a `git worktree` of an older commit) for before/after figures.
    """
    port = free_port()
    env = {**BENCH_LIMITS, "HOST": HOST, "PORT": str(port), "LOG_LEVEL": "WARNING", "MONGODB_DATABASE": f"bench_{port}"}
    if code is not None:
        env["PYTHONPATH"] = str(code.resolve())
    env.update(settings)
    if mongodb_uri:
        env["MONGODB_URI"] = mongodb_uri
    return Server("game_backend", [sys.executable, "-m", "game_backend"], env, port, results / "game_backend.log")


def node_peer(results: Path) -> Server:
    """The Node.js socket.io 4 reference server in bench/node_server.js."""
    port = free_port()
    command = ["node", str(BENCH / "node_server.js"), "--host", HOST, "--port", str(port)]
    return Server("node", command, {}, port, results / "node.log")
