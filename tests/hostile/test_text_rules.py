"""The nickname rule (game_backend/text_rules.py), checked with str methods, says what its documented form says:
1 to 15 characters of Python's `\\w` (Unicode letters and digits, '_') or '-', once trimmed. The regular expression
below is that form, the one the server used before; any text at all is thrown at both."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from game_backend import text_rules

DOCUMENTED = re.compile(r"[\w-]{1,15}")  # the rule as docs/security.md and the error message state it


def documented(value: str) -> str | None:
    trimmed = value.strip()
    return trimmed if DOCUMENTED.fullmatch(trimmed) else None


def checked(value: str) -> str | None:
    try:
        return text_rules.nickname(value)
    except ValueError as error:
        assert str(error) == "a nickname is 1 to 15 letters, digits, '_' or '-'"
        return None


@settings(max_examples=3000, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=20) | st.text(st.characters(categories=["L", "M", "N", "Pc", "Pd"]), max_size=17))
@example("-")
@example("_")
@example("a b")
@example(" 민준_99 ")
@example("x" * 15)
@example("x" * 16)
@example("e\u0301")  # e and a combining accent: a mark is not a word character
@example("٣٤")  # Arabic-Indic digits
@example("Ⅻ")  # a Roman numeral: a number, not a letter
@example("a\n")
def test_the_nickname_rule_is_its_documented_form(value: str) -> None:
    assert checked(value) == documented(value)


@pytest.mark.parametrize(
    ("typed", "kept"), [(" 민준_99 ", "민준_99"), ("-", "-"), ("Player-1", "Player-1"), ("x" * 15, "x" * 15)]
)
def test_a_nickname_is_kept_trimmed(typed: str, kept: str) -> None:
    assert text_rules.nickname(typed) == kept


@pytest.mark.parametrize("typed", ["", "   ", "a b", "x" * 16, "bob!", "a.b", "e\u0301", "$ne"])
def test_what_is_not_a_nickname_is_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="a nickname is 1 to 15 letters"):
        text_rules.nickname(typed)
