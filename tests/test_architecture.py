"""Which way the imports point (docs/architecture.md), and who may emit room events."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "game_backend"

# Each part of the package, and the parts it may import (besides itself). Everything else is a layer violation.
ALLOWED = {
    "transport": set(),
    "storage": {"errors"},
    "errors": set(),
    "config": set(),
    "identity": {"config", "errors"},
    "validation": {"errors"},
    "controllers": {"storage", "errors", "identity"},
    "announce": {"controllers"},
    "edge": {"config", "errors", "app_keys"},
    "app_keys": {"config", "storage", "operations"},
    "runtime": {"config", "transport"},
    "realtime": {"announce", "controllers", "config", "errors", "identity", "storage", "transport", "validation",
                 "edge", "operations"},
    "api": {"announce", "controllers", "config", "errors", "identity", "storage", "validation", "edge", "app_keys"},
    "operations": set(),
    "testing": {"app", "config", "storage"},
}


def part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def imported_parts(path: Path) -> set[str]:
    """The parts of game_backend a module imports (relative or absolute)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(PACKAGE).parts) - 1
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > depth:
                    continue
                base = list(path.relative_to(PACKAGE).parts[: depth - (node.level - 1)])
                names = (node.module or "").split(".") if node.module else []
                dotted = base + [n for n in names if n]
                if not dotted:  # `from .. import x`: x is a part
                    parts |= {alias.name for alias in node.names}
                else:
                    parts.add(dotted[0])
            elif node.module and node.module.startswith("game_backend."):
                parts.add(node.module.split(".")[1])
    return parts


MODULES = sorted(path for path in PACKAGE.rglob("*.py") if part_of(path) in ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_point_the_way_the_layers_do(path: Path) -> None:
    part = part_of(path)
    outside = imported_parts(path) - {part} - ALLOWED[part]
    assert not outside, f"{path.relative_to(PACKAGE)} ({part}) imports {sorted(outside)}"


def test_the_socket_handlers_and_the_rest_routes_sit_side_by_side() -> None:
    for path in (PACKAGE / "realtime").rglob("*.py"):
        assert "api" not in imported_parts(path), path
    for path in (PACKAGE / "api").rglob("*.py"):
        assert "realtime" not in imported_parts(path), path


def test_only_announce_emits_room_events() -> None:
    for path in [*(PACKAGE / "realtime").rglob("*.py"), *(PACKAGE / "api").rglob("*.py")]:
        assert ".emit(" not in path.read_text(encoding="utf-8"), f"{path.relative_to(PACKAGE)} emits: use announce"
