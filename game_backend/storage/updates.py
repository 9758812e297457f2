"""An atomic update, then the document as it is afterwards: `find_one_and_update` in two indexed steps.

SecantusDB, the development database, answers a findAndModify by scanning the
whole collection, so its cost grew with the number of rooms (and of rounds ever played): 5.9 ms with 300
rooms, 13.8 ms with 1,000 and 34.9 ms with 3,000, where an `update_one` or a
`find_one` on an indexed field stays between 1 and 3 ms (bench/seat_operations.py
prints these figures). Seating players was quadratic for it. The update
itself stays one atomic operation whose filter states the rules; only the
read of the result is a second step. That read sees the document after this
update and after any other that landed in between, as any later read would.
"""

from __future__ import annotations

from typing import Any


async def update_and_read(
    collection: Any,
    key: dict[str, Any],
    condition: dict[str, Any],
    update: Any,
    projection: dict[str, Any] | None = None,
    *,
    sort: list[tuple[str, int]] | None = None,
    **options: Any,
) -> dict[str, Any] | None:
    """Apply `update` to the document matching `condition` (which includes `key`, an indexed lookup); the document
    at `key` afterwards (the first in `sort`'s order), or None if `condition` matched nothing (or the document
    was deleted right after)."""
    result = await collection.update_one(condition, update, **options)
    if result.matched_count == 0:
        return None
    found: dict[str, Any] | None = await collection.find_one(key, projection, sort=sort)
    return found
