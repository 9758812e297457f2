"""The README's first clients (Python and JavaScript), run as written against a running server, twice each:
an example that works once and then fails on a taken nickname is a broken example."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..js_players import node_binary
from ..servers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHOWN_URL = "http://127.0.0.1:8000"


def heredoc(marker: str) -> str:
    """The body of the README's `<<'MARKER'` block."""
    found = re.search(rf"<<'{marker}'\n(.*?)\n{marker}\n", README, re.DOTALL)
    assert found is not None, f"the README has no <<'{marker}' example"
    return found.group(1)


@pytest.fixture(scope="module")
def running(mongodb_uri: str) -> Iterator[str]:
    server = ServerProcess({"MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": f"readme_{uuid.uuid4().hex[:12]}"})
    asyncio.run(server.start())  # a plain fixture: the server outlives every test's event loop
    yield server.url
    server.stop()


def run(command: list[str], code: str, url: str) -> str:
    finished = subprocess.run(command, input=code.replace(SHOWN_URL, url), capture_output=True, text=True,
                              timeout=60, cwd=ROOT)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout


def test_the_python_client_runs_again_and_again(running: str) -> None:
    for _ in range(2):
        output = run([sys.executable, "-"], heredoc("PY"), running)
        assert output.count("'ok': True") == 2 and "message: alice" in output, output


def test_the_javascript_client_runs_again_and_again(running: str) -> None:
    node = node_binary()
    for _ in range(2):
        output = run([node, "--input-type=module"], heredoc("JS"), running)
        assert "joinRoom: true" in output and "sendMessage: true" in output, output
