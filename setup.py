"""The build, besides pyproject.toml's metadata: the wheel and the sdist hold the files the server serves.

The lobby page (`frontend/`), the socket.io-client bundle and the Admin UI's page (npm packages pinned in
package-lock.json) are copied under `game_backend/_assets/` at build time, `npm ci` first when they are not
installed yet, so an installed server serves all three with no npm and no network (game_backend/edge/assets.py).
An sdist holds the copies, so a wheel built from it needs npm no more. `_assets/` is ignored by git.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent


def _assets_module():  # type: ignore[no-untyped-def]
    """game_backend/edge/assets.py, which names the sets and where they go, read on its own: importing the
    package would need its dependencies, which a build environment does not have."""
    spec = importlib.util.spec_from_file_location("assets", ROOT / "game_backend" / "edge" / "assets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


setup(cmdclass={"build_py": BuildPy, "sdist": Sdist})
