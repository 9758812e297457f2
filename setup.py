"""The build, besides pyproject.toml's metadata: the wheel and the sdist hold the files the server serves.

The lobby page (`frontend/`), the socket.io-client bundle and the Admin UI's page (npm packages pinned in
package-lock.json) are copied under `game_backend/_assets/` at build time, `npm ci` first when they are not
installed yet, so an installed server serves all three with no npm and no network (game_backend/edge/assets.py).
An sdist holds the copies, so a wheel built from it needs npm no more. `_assets/` is ignored by git.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "game_backend" / "_assets"
SOURCES = {  # as game_backend/edge/assets.py names them
    "frontend": ROOT / "frontend",
    "socket.io-client": ROOT / "node_modules" / "socket.io-client" / "dist",
    "admin-ui": ROOT / "node_modules" / "@socket.io" / "admin-ui" / "ui" / "dist",
}


def bundle_assets() -> None:
    if not (ROOT / "package-lock.json").is_file():
        return  # an sdist's build: its _assets/ came with it
    if not all(source.is_dir() for source in SOURCES.values()):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
    shutil.rmtree(ASSETS, ignore_errors=True)
    for name, source in SOURCES.items():
        shutil.copytree(source, ASSETS / name)


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
