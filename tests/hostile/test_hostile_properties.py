"""Property-based hostile input (hypothesis): random JSON thrown at every event and every REST body.

Whatever arrives, the server answers: a well-formed ack or a JSON error, never
an internal error, never silence. A refused request changes nothing; an
accepted one stores no operator. Example counts are small and derandomized,
so a run is quick and repeatable.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game_backend.testing import WAIT, rest

from ..dbstate import snapshot
from .arena import (
    OPERATORS,
    Arena,
    assert_error_body,
    assert_failed_ack,
    body_fields,
    contains_operator,
    events,
    payload_events,
    rest_routes,
    valid_payload,
)

EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FIELD_NAMES = sorted(body_fields())
keys = st.sampled_from(FIELD_NAMES + ["$gt", "$ne", "$where", "$regex", "__proto__", ""]) | st.text(max_size=8)
leaves = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40) | st.sampled_from(OPERATORS)
)
json_values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                           max_leaves=12)


def payloads(base: Any) -> st.SearchStrategy[Any]:
    """Anything at all, or the valid payload with one field replaced by anything."""
    if not isinstance(base, dict):
        return json_values
    one_field_off = st.sampled_from(sorted(base)).flatmap(lambda name: json_values.map(lambda v: {**base, name: v}))
    return json_values | one_field_off | st.dictionaries(st.sampled_from(sorted(base)), json_values, max_size=len(base))


websocket_only = pytest.mark.parametrize("transport", ["websocket"])


@websocket_only
@pytest.mark.parametrize("event", payload_events())
@EXAMPLES
@given(data=st.data())
async def test_any_payload_gets_a_clear_answer(arena: Arena, event: str, data: st.DataObject) -> None:
    payload = data.draw(payloads(valid_payload(events()[event], arena.hints)), label="payload")
    before = await snapshot(arena.db)
    ack = await arena.attacker.client.call(event, payload, timeout=WAIT)
    if isinstance(ack, dict) and ack.get("ok") is True:
        assert not contains_operator(await snapshot(arena.db))
    else:
        assert_failed_ack(ack, (event, payload))
        assert await snapshot(arena.db) == before, ack
    await arena.bystander_is_served()


@websocket_only
@pytest.mark.parametrize("route", [route for route in rest_routes()
                                   if route.method != "GET" and route.path != "/api/users/logout"], ids=str)
@EXAMPLES
@given(body=json_values | st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=4))
async def test_any_body_gets_a_clear_answer(arena: Arena, route: Any, body: Any) -> None:
    """Every route that reads a body (logout ends the session whatever it says: see test_hostile_rest)."""
    path = route.path.replace("{code}", "ZZZZZZ").replace("{number}", "1")
    before = await snapshot(arena.db)
    status, answer = await rest(arena.base_url, route.method, path, arena.attacker.token, body)
    assert status < 500, (status, answer)
    if status >= 400:
        assert_error_body(status, answer, route)
        assert await snapshot(arena.db) == before, answer
    else:
        assert not contains_operator(await snapshot(arena.db))
