"""Real server processes (`python -m game_backend`) for the tests that kill, restart or count them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from game_backend.storage.embedded import free_port


class ServerProcess:
    """One `python -m game_backend` on a port of its own (or a given one), with settings from `env`."""

    def __init__(self, env: dict[str, str], *, port: int | None = None, log: Path | None = None) -> None:
        self.chosen_port = port is not None
        self.port = port or free_port()
        self.env = {**os.environ, "LOG_LEVEL": "WARNING", **env, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 30) -> ServerProcess:
        """Start and wait until healthy. A free port found earlier may be taken meanwhile (by any outgoing
        connection's ephemeral port): then, unless the port was chosen by the test, try another."""
        for attempt in range(3):
            output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 (closed with the process)
            self.process = subprocess.Popen([sys.executable, "-m", "game_backend"], env=self.env,
                                            stdout=output, stderr=subprocess.STDOUT if self.log else None)
            try:
                await self.wait_healthy(timeout)
                return self
            except AssertionError:
                if self.chosen_port or attempt == 2 or self.process.returncode != 1:
                    raise
                self.port = free_port()
                self.env["PORT"] = str(self.port)
        return self

    async def wait_healthy(self, timeout: float = 30) -> None:
        async with aiohttp.ClientSession() as http, asyncio.timeout(timeout):
            while True:
                assert self.process is not None and self.process.poll() is None, (
                    f"the server on port {self.port} exited with {self.process and self.process.returncode}")
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_kb(self) -> int:
        """The process's resident memory, from /proc."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")
