"""The Node load generator processes (bench/loadgen.js), driven by JSON lines over their stdin/stdout."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent


class GeneratorError(RuntimeError):
    pass


class Generator:
    """One `node loadgen.js` process."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process = subprocess.Popen(
            ["node", str(BENCH / "loadgen.js")], cwd=BENCH, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        self._buffer = b""

    def send(self, command: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command).encode() + b"\n")
        self.process.stdin.flush()

    def receive(self, timeout: float) -> dict[str, Any]:
        """The next answer line, or GeneratorError after `timeout` seconds."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise GeneratorError(f"load generator {self.index} did not answer within {timeout:.0f} s")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise GeneratorError(f"load generator {self.index} exited ({self.process.poll()})")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer = json.loads(line)
        if not answer.get("ok"):
            raise GeneratorError(f"load generator {self.index}: {answer.get('error')}")
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.send({"cmd": "quit"})
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(5)


class Generators:
    """Several generator processes working as one: each command goes to all, answers come back as a list."""

    def __init__(self, count: int) -> None:
        self.all = [Generator(index) for index in range(count)]

    def run(self, commands: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        for generator, command in zip(self.all, commands, strict=True):
            generator.send(command)
        return [generator.receive(timeout) for generator in self.all]

    def each(self, command: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
        return self.run([command] * len(self.all), timeout)

    def stop(self) -> None:
        for generator in self.all:
            generator.stop()

    def __enter__(self) -> Generators:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
