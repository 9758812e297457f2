"""Figures a test measures on the way (the clock measures them; it decides nothing): kept in tests/artifacts/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def record_figure(file: str, name: str, figures: dict[str, Any]) -> None:
    """Keep `figures` under `name` in tests/artifacts/<file>.json, beside the other tests' figures."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{file}.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept[name] = figures
    path.write_text(json.dumps(kept, indent=2))
