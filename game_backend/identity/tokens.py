"""Signed identity tokens (JWT): who a REST call or a Socket.IO connection acts as.

A token carries the user's token version (`ver`). Signing out raises the
version stored with the user (or deletes a guest), which revokes every token
issued before: see controllers.users.check_token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from ..config import Settings
from ..errors import GameError

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Identity:
    user_id: str
    nickname: str
    guest: bool
    token_version: int = 0


def issue_token(settings: Settings, identity: Identity) -> str:
    now = int(time.time())
    claims = {
        "sub": identity.user_id,
        "nickname": identity.nickname,
        "guest": identity.guest,
        "ver": identity.token_version,
        "iat": now,
        "exp": now + settings.jwt_expiry_seconds,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def read_token(settings: Settings, token: object) -> Identity:
    """The identity a token proves, or GameError("NOT_AUTHENTICATED") saying why not."""
    if not isinstance(token, str) or not token:
        raise GameError("NOT_AUTHENTICATED", "a token is required: sign in first")
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.ExpiredSignatureError:
        raise GameError("NOT_AUTHENTICATED", "the token has expired: sign in again") from None
    except jwt.InvalidTokenError:
        raise GameError("NOT_AUTHENTICATED", "the token is not valid: sign in again") from None
    nickname = claims.get("nickname")
    version = claims.get("ver", 0)
    if not isinstance(nickname, str) or not isinstance(claims["sub"], str) or type(version) is not int:
        raise GameError("NOT_AUTHENTICATED", "the token is not valid: sign in again")
    return Identity(user_id=claims["sub"], nickname=nickname, guest=bool(claims.get("guest")), token_version=version)
