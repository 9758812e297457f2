"""orjson behind the two functions python-socketio calls on its `json` module.

Differences from the standard library that clients can see: none for valid
JSON in and out. Output is compact UTF-8 (not \\u-escaped), which every JSON
parser reads alike; integer keys become strings, as with `json`.
"""

from __future__ import annotations

from typing import Any

import orjson

loads = orjson.loads


def dumps(obj: Any, **_: Any) -> str:
    """Compact JSON text; keyword arguments such as `separators` are accepted and need nothing more."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()
