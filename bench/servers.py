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
from typing import Any

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
    cwd: Path = ROOT
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def urls(self) -> list[str]:
        return [self.url]

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")  # a restarted server adds to its log
        self.process = subprocess.Popen(
            self.command, cwd=self.cwd, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
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


def game_backend(results: Path, mongodb_uri: str | None = None, code: Path | None = None, python: str | None = None,
                 **settings: str) -> Server:
    """This project's server, `python -m game_backend`, with its embedded database unless `mongodb_uri` is given.

    `code` runs the game_backend package of another checkout (a `git worktree` of an older commit) for before/after
    figures; `python` another interpreter (one whose environment has game_backend's dependencies).
    """
    port = free_port()
    env = {**BENCH_LIMITS, "HOST": HOST, "PORT": str(port), "LOG_LEVEL": "WARNING", "MONGODB_DATABASE": f"bench_{port}"}
    env.update(settings)
    if mongodb_uri:
        env["MONGODB_URI"] = mongodb_uri
    command = [python or sys.executable, "-m", "game_backend"]
    # `-m` imports from the working directory first, ahead of the installed (editable) package.
    return Server("game_backend", command, env, port, results / "game_backend.log", cwd=(code or ROOT).resolve())


def node_peer(results: Path, redis_url: str | None = None) -> Server:
    """The Node.js socket.io 4 reference server in bench/node_server.js (one of several workers with `redis_url`)."""
    port = free_port()
    command = ["node", str(BENCH / "node_server.js"), "--host", HOST, "--port", str(port)]
    if redis_url:
        command += ["--redis", redis_url]
    return Server("node", command, {}, port, results / "node.log")


class Workers:
    """Several server processes sharing rooms through one Redis: the option that uses every core.

    Clients spread over the workers one socket at a time (as a load balancer without
    room affinity would), so most relays go from one process to another through Redis.
    CPU counts the workers and the Redis server; memory counts the workers.
    """

    def __init__(self, name: str, redis_url: str) -> None:
        self.name = name
        self.redis_url = redis_url
        self.workers: list[Server] = []
        self.redis_pid: int | None = None

    @property
    def url(self) -> str:
        return self.workers[0].url

    @property
    def urls(self) -> list[str]:
        return [worker.url for worker in self.workers]

    def start(self) -> None:
        import redis

        self.redis_pid = int(redis.Redis.from_url(self.redis_url).info("server")["process_id"])
        for worker in self.make_workers():
            self.workers.append(worker)
            worker.start()

    def make_workers(self) -> list[Server]:
        raise NotImplementedError

    def cpu(self) -> float:
        redis_cpu = cpu_seconds(self.redis_pid) if self.redis_pid else 0.0
        return sum(worker.cpu() for worker in self.workers) + redis_cpu

    def cpu_system(self) -> float:
        return sum(worker.cpu_system() for worker in self.workers)

    def helpers_cpu(self) -> float:
        return 0.0

    def rss_kb(self) -> int:
        return sum(worker.rss_kb() for worker in self.workers)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


class Cluster(Workers):
    """game_backend workers behind Redis (REDIS_URL), with one embedded database for all of them."""

    def __init__(self, results: Path, workers: int, redis_url: str, code: Path | None = None, python: str | None = None,
                 **settings: str) -> None:
        super().__init__(f"game_backend x{workers} (Redis)", redis_url)
        self.results = results
        self.count = workers
        self.code = code
        self.python = python
        self.settings = settings
        self.database: Any = None

    def make_workers(self) -> list[Server]:
        from game_backend.storage.embedded import EmbeddedDatabase

        self.database = EmbeddedDatabase()
        uri = self.database.start()
        channel = f"bench_{free_port()}"
        workers = []
        for index in range(self.count):
            worker = game_backend(self.results, uri, self.code, self.python, **{
                "REDIS_URL": self.redis_url, "REDIS_CHANNEL": channel, "MONGODB_DATABASE": channel, **self.settings})
            worker.name = f"game_backend worker {index}"
            worker.log_path = self.results / f"game_backend-worker{index}.log"
            workers.append(worker)
        return workers

    def helpers_cpu(self) -> float:
        return cpu_seconds(self.database._process.pid) if self.database else 0.0

    def stop(self) -> None:
        super().stop()
        if self.database is not None:
            self.database.stop()


class NodeCluster(Workers):
    """Node peers behind socket.io's sharded Redis adapter (node_server.js --redis): Node's own way to scale out."""

    def __init__(self, results: Path, workers: int, redis_url: str) -> None:
        super().__init__(f"node x{workers} (sharded Redis adapter)", redis_url)
        self.results = results
        self.count = workers

    def make_workers(self) -> list[Server]:
        workers = []
        for index in range(self.count):
            worker = node_peer(self.results, self.redis_url)
            worker.name = f"node worker {index}"
            worker.log_path = self.results / f"node-worker{index}.log"
            workers.append(worker)
        return workers
