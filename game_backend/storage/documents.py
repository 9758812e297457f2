"""Turning stored documents into plain JSON-ready data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from bson import ObjectId


@overload
def jsonable(value: dict[str, Any]) -> dict[str, Any]: ...
@overload
def jsonable(value: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
def jsonable(value: Any) -> Any:
    """Dates become ISO 8601 strings (UTC) and ObjectIds strings, recursively."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, ObjectId):
        return str(value)
    return value


def now() -> datetime:
    """The current UTC time at the millisecond precision MongoDB stores."""
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)
