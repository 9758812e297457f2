"""Password hashing with bcrypt, run in a worker thread so that it never blocks the event loop.

bcrypt is slow on purpose (about 0.25 s at the default cost of 12), which is
why every call goes through `asyncio.to_thread`. It reads at most 72 bytes of
a password; longer passwords are refused at sign-up (see validation.NewPassword)
rather than silently cut.
"""

from __future__ import annotations

import asyncio
import functools

import bcrypt

MAX_BYTES = 72


async def hash_password(password: str, rounds: int) -> str:
    """The bcrypt hash of `password` (salt included), as text to store."""
    hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode("utf-8"), bcrypt.gensalt(rounds))
    return hashed.decode("ascii")


async def check_password(password: str, hashed: str | None, rounds: int) -> bool:
    """Whether `password` matches `hashed`.

    With no hash (an unknown email) a dummy hash of the configured cost is
    checked instead, so that an unknown email and a wrong password take the
    same time to answer and cannot be told apart.
    """
    secret = password.encode("utf-8")
    usable = hashed is not None and len(secret) <= MAX_BYTES
    stored = hashed if hashed is not None and usable else await asyncio.to_thread(_dummy_hash, rounds)
    try:
        matches = await asyncio.to_thread(bcrypt.checkpw, secret[:MAX_BYTES], stored.encode("ascii"))
    except ValueError:
        return False
    return matches and usable


@functools.cache
def _dummy_hash(rounds: int) -> str:
    return bcrypt.hashpw(b"no such account", bcrypt.gensalt(rounds)).decode("ascii")
