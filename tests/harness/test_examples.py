"""The examples of docs/testing-harness.md ("Using it from another project's tests"), run as their projects
would run them, twice.

Each runs in a process of its own, as a new project's suite would: the pytest
example with only its own pytest.ini (the fixtures come from the installed
package's plugin), the Mocha and Playwright examples with `npx`-style binaries
from tests/js, each starting `game-backend --ephemeral` through the package js/testing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..js_players import node_binary

TESTS = Path(__file__).resolve().parents[1]
JS = TESTS / "js"
CHROMIUM = "/usr/bin/chromium"


def run(command: list[str], cwd: Path, **env: str) -> str:
    finished = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=180,
                              env={**os.environ, "GAME_BACKEND": str(Path(sys.executable).with_name("game-backend")),
                                   **env})
    assert finished.returncode == 0, f"{' '.join(command)} failed:\n{finished.stdout[-4000:]}\n{finished.stderr[-4000:]}"
    return finished.stdout + finished.stderr


def test_the_pytest_example_runs_with_nothing_but_the_installed_package_again_and_without_warnings() -> None:
    for _ in range(2):
        output = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error"],
                     TESTS / "examples" / "pytest")
        assert "warning" not in output.lower(), output


def as_written(example: Path) -> list[str]:
    """The command an example's first lines say it runs with, for a shell at the repository's top."""
    lines = example.read_text(encoding="utf-8").splitlines()
    at = next(index for index, line in enumerate(lines) if line.endswith("run with"))
    command = lines[at + 1].removeprefix("//").strip()
    shown = ".venv/bin/game-backend"
    if not (TESTS.parent / shown).exists():  # a suite run by another interpreter than make test's
        command = command.replace(f"../../{shown}", str(Path(sys.executable).with_name("game-backend")))
    return ["bash", "-c", command]


def test_the_mocha_example_runs_as_written_again_and_again() -> None:
    node_binary()
    for _ in range(2):
        output = run(as_written(JS / "examples" / "mocha" / "lobby.test.mjs"), TESTS.parent)
        assert "2 passing" in output and "INFO" not in output, output


def test_the_playwright_example_runs_as_written_again_and_again(tmp_path: Path) -> None:
    node_binary()
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is missing (CI=true: the Playwright example may not be skipped)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (make test does)")
    for attempt in range(2):
        run(as_written(JS / "examples" / "playwright" / "playwright.config.mjs"), TESTS.parent,
            CHROMIUM=CHROMIUM, PLAYWRIGHT_OUTPUT=str(tmp_path / str(attempt)))


def test_the_docs_show_each_example_as_it_runs() -> None:
    readme = (TESTS.parent / "docs" / "testing-harness.md").read_text(encoding="utf-8")
    for example in ["examples/pytest/pytest.ini", "examples/pytest/test_lobby_example.py", "js/examples/mocha/setup.mjs",
                    "js/examples/mocha/lobby.test.mjs", "js/examples/playwright/playwright.config.mjs",
                    "js/examples/playwright/global-setup.mjs", "js/examples/playwright/lobby.spec.mjs"]:
        assert (TESTS / example).read_text(encoding="utf-8").strip() in readme, f"docs/testing-harness.md's copy of {example} differs"
