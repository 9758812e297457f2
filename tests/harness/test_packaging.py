"""The package's metadata: compatible ranges in pyproject.toml, the exact versions in requirements.lock, and the
two agreeing (a lock that strays outside a range, or misses a dependency, fails here)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def locked() -> dict[str, Version]:
    versions = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in requirement:
            name, _, pinned = requirement.partition("==")
            versions[canonicalize_name(name)] = Version(pinned)
    return versions


def test_the_dependencies_are_ranges_not_pins() -> None:
    for spec in PROJECT["dependencies"]:
        assert "==" not in spec, f"{spec}: a library pins nothing exactly; the lock does"


def test_the_lock_holds_a_version_of_every_dependency_within_its_range() -> None:
    versions = locked()
    for spec in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]:
        requirement = Requirement(spec)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in versions, f"requirements.lock has no {requirement.name}: run `make lock`"
        assert requirement.specifier.contains(versions[name], prereleases=True), (
            f"requirements.lock has {requirement.name} {versions[name]}, outside {requirement.specifier}")


def test_the_installed_versions_are_the_locked_ones() -> None:
    versions = locked()
    for spec in PROJECT["dependencies"]:
        requirement = Requirement(spec)
        if requirement.marker is None or requirement.marker.evaluate():
            assert Version(version(requirement.name)) == versions[canonicalize_name(requirement.name)], spec


def test_the_command_says_its_version() -> None:
    result = subprocess.run([sys.executable, "-m", "game_backend", "--version"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"game-backend {PROJECT['version']}"
