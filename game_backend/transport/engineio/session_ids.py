"""Session ids, made and read in one place: `<node>.<token>`.

The node names the process that holds the socket (so that, with several
processes, a message for one socket goes to its process: cluster's
`RedisManager`); the token is 20 URL-safe characters (15 random bytes). A
process with no node name makes bare tokens.
"""

from __future__ import annotations

import secrets

TOKEN_BYTES = 15
TOKEN_LENGTH = 20  # the characters token_urlsafe makes of TOKEN_BYTES


def new_session_id(node: str) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return f"{node}.{token}" if node else token


def node_of(name: str) -> str | None:
    """The process holding socket `name`, or None for a name that is not a session id with a node."""
    node, dot, token = name.partition(".")
    return node if dot and node.isalnum() and len(token) == TOKEN_LENGTH else None
