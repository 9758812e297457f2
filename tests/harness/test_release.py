"""The release as other projects meet it: built once, installed where no checkout is, used by new projects.

- `python -m build` makes an sdist and a wheel that hold the lobby page, the socket.io-client bundle and the
  Admin UI; building leaves nothing git does not ignore.
- The wheel, installed into a fresh virtual environment (the versions of requirements.lock), serves `/`,
  `/socket.io/socket.io.js` and `/admin/` from a folder that is no checkout.
- A brand-new Python project (tests/downstream/python) and the pytest example of docs/testing-harness.md run their tests against
  it, with warnings made errors; a brand-new Node project (tests/downstream/node) installs the JavaScript
  test package from the tarball `npm pack` makes, and runs its tests with `node --test`. Each new project's
  tests are its own three: two players chat, a round with live scores, a full room refused.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

import pytest

from ..js_players import node_binary

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
SERVED = ["frontend/index.html", "socket.io-client/socket.io.js", "admin-ui/index.html"]


def run(command: list[str], cwd: Path, timeout: float = 300, **env: str) -> str:
    finished = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, **env})
    said = f"{finished.stdout[-4000:]}\n{finished.stderr[-4000:]}"
    assert finished.returncode == 0, f"{' '.join(command)} failed:\n{said}"
    return finished.stdout + finished.stderr


def untracked() -> str:
    return run(["git", "status", "--porcelain", "--untracked-files=all"], ROOT)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        why = "the release is built from a git checkout (to check that building leaves nothing behind)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{why}; CI=true: this test may not be skipped")
        pytest.skip(why)
    before = untracked()
    folder = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(folder)], ROOT)
    assert untracked() == before, "building left files git does not ignore"
    return folder


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel (and its [testing] extra) installed; its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", str(venv)], ROOT)
    wheel = next(dist.glob("game_backend-*.whl"))
    run([str(venv / "bin" / "pip"), "install", "--quiet", "-c", str(ROOT / "requirements.lock"),
         f"{wheel}[testing]"], ROOT)
    return venv / "bin"


def test_the_sdist_and_the_wheel_hold_what_the_server_serves(dist: Path) -> None:
    wheel = zipfile.ZipFile(next(dist.glob("game_backend-*.whl"))).namelist()
    with tarfile.open(next(dist.glob("game_backend-*.tar.gz"))) as sdist:
        packed = sdist.getnames()
    for name in SERVED:
        assert f"game_backend/_assets/{name}" in wheel, name
        assert any(entry.endswith(f"game_backend/_assets/{name}") for entry in packed), name


def test_an_installed_wheel_serves_the_page_the_client_and_the_admin_ui(installed: Path, tmp_path: Path) -> None:
    server = subprocess.Popen([str(installed / "game-backend"), "--ephemeral", "--port", "0"], cwd=tmp_path,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": "a password"})
    try:
        assert server.stdout is not None
        url = json.loads(server.stdout.readline())["url"]
        for path, expected in [("/", b"<html"), ("/socket.io/socket.io.js", b"io"), ("/admin/", b"<html")]:
            with urllib.request.urlopen(url + path, timeout=10) as answer:
                assert answer.status == 200 and expected in answer.read().lower(), path
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert "not installed" not in log and "WARNING" not in log, log


def test_a_new_python_project_runs_its_own_tests_against_the_wheel(installed: Path, tmp_path: Path) -> None:
    for example in ("downstream/python", "examples/pytest"):
        project = tmp_path / example.replace("/", "-")
        shutil.copytree(TESTS / example, project)
        output = run([str(installed / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
                     project)
        assert " passed" in output and "warning" not in output.lower(), output


def test_a_new_node_project_runs_its_own_tests_against_the_package(installed: Path, tmp_path: Path) -> None:
    node_binary()
    packed = run(["npm", "pack", str(ROOT / "js" / "testing"), "--pack-destination", str(tmp_path), "--json"],
                 tmp_path)
    tarball = tmp_path / json.loads(packed[packed.index("["):])[0]["filename"]
    project = tmp_path / "project"
    shutil.copytree(TESTS / "downstream" / "node", project)
    run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--save-dev", str(tarball)], project)
    output = run(["npm", "test"], project, GAME_BACKEND=str(installed / "game-backend"))
    assert "# pass 3" in output and "# fail 0" in output, output
    assert "INFO" not in output, "the server's log reached the test output"
