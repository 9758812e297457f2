"""Which way the imports point (docs/architecture.md), and who may emit room events."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "game_backend"

# Each part of the package, and the parts it may import (besides itself). Everything else is a layer violation.
ALLOWED = {
    "transport": set(),
    "storage": {"errors"},
    "errors": set(),
    "config": set(),
    "identity": {"config", "errors"},
    "validation": {"errors", "room_codes", "text_rules"},
    "text_rules": set(),
    "room_codes": set(),
    "compiled": set(),
    "judging": set(),
    "controllers": {"storage", "errors", "identity", "judging", "room_codes"},
    "announce": {"controllers", "room_codes", "transport"},
    "moves": {"announce", "controllers", "config", "errors", "identity", "storage", "transport", "edge", "operations",
              "room_codes"},
    "edge": {"config", "errors", "app_keys"},
    "app_keys": {"config", "storage", "operations", "moves"},
    "runtime": {"config", "transport"},
    "realtime": {"announce", "controllers", "config", "errors", "identity", "storage", "transport", "validation",
                 "edge", "operations", "judging", "moves"},
    "api": {"announce", "controllers", "config", "errors", "identity", "storage", "validation", "text_rules", "edge",
            "app_keys", "judging", "moves"},
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


# The composition roots wire every part together, so they may import any.
ROOTS = {"__init__", "__main__", "app"}
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if part_of(path) in ALLOWED)


def test_every_part_of_the_package_has_its_place_in_the_layers() -> None:
    """A new folder or top-level module is checked like the others: it must be given its allowed imports."""
    parts = {part_of(path) for path in PACKAGE.rglob("*.py") if "_assets" not in path.parts}
    unlisted = parts - set(ALLOWED) - ROOTS
    assert not unlisted, f"add {sorted(unlisted)} to ALLOWED in tests/operations/test_architecture.py, with what each may import"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)


def top_level_imports(path: Path) -> set[str]:
    """The modules of game_backend that `path` imports when it is loaded (imports inside functions, and those
    only for type checkers, do not run then), as dotted names under the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.If | ast.Try):
                visit([*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", []),
                       *(statement for handler in getattr(node, "handlers", []) for statement in handler.body)])
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = [*base, *(node.module.split(".") if node.module else [])]
                found.add(".".join(module))
                found.update(".".join([*module, alias.name]) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("game_backend."):
                module = node.module.split(".")[1:]
                found.add(".".join(module))
                found.update(".".join([*module, alias.name]) for alias in node.names)

    visit(tree.body)
    return found


# The one circle there is, left for the use-case layer (issue 24) to undo: leaving a room leaves its round
# (rooms -> games), a round's end reads and resets the room (games -> rooms) and remembers the song on each user
# (games -> users), and signing out leaves every room (users -> rooms). No other edge may join it.
KNOWN_CIRCLE = {"controllers.games", "controllers.rooms", "controllers.users"}


def test_no_circle_of_imports_inside_a_part() -> None:
    """Inside one folder, the modules that import each other when loaded form no circle (but the known one)."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py") if "_assets" not in path.parts}
    graph = {name: {other for other in top_level_imports(path) & paths.keys()
                    if other != name and other.split(".")[0] == name.split(".")[0] and "." in name
                    and not {name, other} <= KNOWN_CIRCLE}
             for name, path in paths.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                circle = [*trail[trail.index(other):], other] if other in trail else [name, other]
                pytest.fail("a circle of imports: " + " -> ".join(circle))
            if other not in state:
                visit(other, [*trail, other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


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
