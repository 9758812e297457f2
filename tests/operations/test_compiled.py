"""The hot path runs compiled with mypyc, or as its pure-Python twin, as asked (game_backend/compiled.py).

Each case starts a fresh interpreter: which twin a process runs is decided once, when it first imports
game_backend. `make test` runs the suite compiled, then the transport tests and these again with
GAME_BACKEND_PURE=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from game_backend import compiled

PROBE = (
    "import importlib, json, game_backend.compiled as c\n"
    "files = {m: importlib.import_module(m).__file__ for m in c.MODULES}\n"
    "print(json.dumps({'variant': c.variant(), 'files': files}))\n"
)


def probe(pure: str | None, cwd: Path | None = None) -> dict[str, Any]:
    """Which twin a new process runs, and where each hot module was loaded from."""
    env = {name: value for name, value in os.environ.items() if name != compiled.PURE_VARIABLE}
    if pure is not None:
        env[compiled.PURE_VARIABLE] = pure
    if cwd is not None:
        env["PYTHONPATH"] = str(cwd)
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def built() -> bool:
    if compiled._why_pure() in (None, f"{compiled.PURE_VARIABLE} is set"):
        return True
    if os.environ.get("CI") == "true":
        pytest.fail(f"the hot path must be compiled under CI=true ({compiled._why_pure()}): make build/.hot-path-compiled")
    return False


def test_the_pure_twin_loads_every_hot_module_from_its_source() -> None:
    seen = probe("1")
    assert seen["variant"] == "pure Python (GAME_BACKEND_PURE is set)"
    assert all(path.endswith(".py") for path in seen["files"].values()), seen["files"]


def test_once_built_every_hot_module_runs_compiled() -> None:
    if not built():
        pytest.skip("the hot path is not built here (make build/.hot-path-compiled builds it)")
    seen = probe(None)
    assert seen["variant"] == "compiled (mypyc)"
    assert not [module for module, path in seen["files"].items() if path.endswith(".py")]
    assert probe("0")["variant"] == "compiled (mypyc)"  # 0 means compiled, as unset does


def test_a_source_edited_after_the_build_runs_pure_until_it_is_built_again(tmp_path: Path) -> None:
    if not built():
        pytest.skip("the hot path is not built here (make build/.hot-path-compiled builds it)")
    shutil.copytree(compiled.PACKAGE, tmp_path / "game_backend", ignore=shutil.ignore_patterns("__pycache__"))
    edited = tmp_path / "game_backend" / "judging" / "judge.py"
    later = time.time() + 5
    os.utime(edited, (later, later))
    seen = probe(None, cwd=tmp_path)
    assert seen["variant"] == "pure Python (game_backend.judging.judge changed since the build (run make to rebuild))"
    assert all(path.startswith(str(tmp_path)) and path.endswith(".py") for path in seen["files"].values())
