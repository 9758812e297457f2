"""A rule is written once: the MongoDB filter a document must match, with the refusal that says why when it does not.

A state change is one atomic update whose filter joins its rules, so no two
requests, on any processes, can break a rule between them. When the update
matches nothing, `broken_rule` checks the same rules one by one, in order,
each with its own filter, and names the first one the document fails: the
reason is never written a second time in Python. A rule also asked of a
document already in hand carries that test beside its filter (`holds`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import GameError


@dataclass(frozen=True)
class Rule:
    condition: dict[str, Any]
    refusal: Callable[[], GameError]
    # The same rule on a document already read, where one is asked in Python (whether everyone is ready, to
    # tell the room): written beside its filter, so the two are read and changed together.
    holds: Callable[[dict[str, Any]], bool] | None = None


def matching(key: dict[str, Any], rules: Sequence[Rule]) -> dict[str, Any]:
    """One filter: `key` and every rule's condition (joined with $and where two constrain the same field)."""
    merged = dict(key)
    overlapping = []
    for rule in rules:
        if merged.keys() & rule.condition.keys():
            overlapping.append(rule.condition)
        else:
            merged.update(rule.condition)
    return {"$and": [merged, *overlapping]} if overlapping else merged


async def broken_rule(collection: Any, key: dict[str, Any], rules: Sequence[Rule]) -> GameError | None:
    """The refusal of the first rule the document at `key` fails; None if it now keeps them all."""
    for rule in rules:
        if await collection.find_one(matching(key, [rule]), {"_id": 1}) is None:
            return rule.refusal()
    return None


async def refusal(collection: Any, key: dict[str, Any], rules: Sequence[Rule]) -> GameError:
    """Why an update under `rules` matched nothing: the broken rule, or a document that changed meanwhile."""
    return await broken_rule(collection, key, rules) or GameError("INTERNAL", "it changed meanwhile; try again")
