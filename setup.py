"""The build, besides pyproject.toml's metadata: the wheel and the sdist hold the files the server serves, and the
hot path is compiled with mypyc.

The lobby page (`frontend/`), the socket.io-client bundle and the Admin UI's page (npm packages pinned in
package-lock.json) are copied under `game_backend/_assets/` at build time, `npm ci` first when they are not
installed yet, so an installed server serves all three with no npm and no network (game_backend/edge/assets.py).
An sdist holds the copies, so a wheel built from it needs npm no more. `_assets/` is ignored by git.

The modules of the hot path (game_backend/compiled.py names them) are compiled to C extensions with mypyc where
mypy and a C compiler are at hand: `make` installs with the virtual environment's own mypy (pip's
--no-build-isolation), so the extensions sit beside their sources in the checkout. GAME_BACKEND_COMPILE=0, or
a build without mypy, makes a pure-Python package; the server runs the same sources either way.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent


def _read_alone(name: str, path: str):  # type: ignore[no-untyped-def]
    """A module of the package read on its own: importing the package would need its dependencies, which a
    build environment does not have."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "game_backend" / path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assets_module():  # type: ignore[no-untyped-def]
    """game_backend/edge/assets.py, which names the sets and where they go."""
    return _read_alone("assets", "edge/assets.py")


def compiled_hot_path() -> list:  # type: ignore[type-arg]
    """The hot path's extensions (mypyc), or none: without mypy, or with GAME_BACKEND_COMPILE=0."""
    if os.environ.get("GAME_BACKEND_COMPILE", "1") == "0":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("mypyc is not installed: game_backend's hot path stays pure Python", file=sys.stderr)
        return []
    compiled = _read_alone("compiled", "compiled.py")
    sources = [str(compiled.source_of(module).relative_to(ROOT)) for module in compiled.MODULES]
    return mypycify(sources, opt_level="3", group_name=compiled.GROUP)  # type: ignore[no-any-return]


def bundle_assets() -> None:
    if not (ROOT / "package-lock.json").is_file():
        return  # an sdist's build: its _assets/ came with it
    assets = _assets_module()
    if not all(source.is_dir() for source in assets.SOURCES.values()):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
    shutil.rmtree(assets.PACKAGED, ignore_errors=True)
    for name, source in assets.SOURCES.items():
        shutil.copytree(source, assets.PACKAGED / name)


class BuildPy(build_py):
    def run(self) -> None:
        if not self.editable_mode:  # an editable install serves the checkout's own folders
            bundle_assets()
        super().run()


class Sdist(sdist):
    def run(self) -> None:
        bundle_assets()
        super().run()


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist}, ext_modules=compiled_hot_path())
