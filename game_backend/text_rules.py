"""The rules of the text players type: nicknames, chat messages, emails and passwords.

Each is a plain function that returns the value as it is kept (trimmed, lower-cased) or raises ValueError with
the message a player reads; validation.py declares them on its payload fields, and pydantic-core calls them.
A `hit` carries a nickname dozens of times a second per player, so this module is compiled with the hot path
(game_backend/compiled.py): a nickname is checked with str methods, without a regular expression, in C.
"""

from __future__ import annotations

import re

NICKNAME_MAX = 15
MESSAGE_MAX = 500
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_FLOOR = 6  # the shortest any setting accepts (Motion Beat's client's minimum, with MOTION_BEAT_COMPAT)
PASSWORD_MAX_BYTES = 72  # bcrypt reads no further
_NICKNAME_RULE = f"a nickname is 1 to {NICKNAME_MAX} letters, digits, '_' or '-'"
# local@domain.tld: no spaces, no second "@", a dotted domain. Deliverability is not checked.
_EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@(?:[^@\s\x00-\x1f\x7f.]+\.)+[^@\s\x00-\x1f\x7f.]{2,}$")


def nickname(value: str) -> str:
    """1 to NICKNAME_MAX word characters (Unicode letters and digits, as Python's `\\w` reads them, and '_')
    or '-', once trimmed."""
    value = value.strip()
    if not 0 < len(value) <= NICKNAME_MAX:
        raise ValueError(_NICKNAME_RULE)
    letters = value.replace("_", "").replace("-", "")
    if letters and not letters.isalnum():
        raise ValueError(_NICKNAME_RULE)
    return value


def message(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a message cannot be empty")
    if len(value) > MESSAGE_MAX:
        raise ValueError(f"a message is at most {MESSAGE_MAX} characters")
    return value


def email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > EMAIL_MAX or not _EMAIL_RE.fullmatch(value):
        raise ValueError("not an email address")
    return value


def new_password(value: str) -> str:
    if len(value) < PASSWORD_FLOOR:
        raise ValueError(f"a password is at least {PASSWORD_MIN} characters")
    if len(value.encode("utf-8")) > PASSWORD_MAX_BYTES:
        raise ValueError(f"a password is at most {PASSWORD_MAX_BYTES} bytes in UTF-8")
    return value
