"""The one error type the game rules raise, and how each code maps to HTTP."""

from __future__ import annotations

from typing import Any

HTTP_STATUS = {
    "INVALID_PAYLOAD": 400,
    "NOT_AUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_HOST": 403,
    "ROOM_NOT_FOUND": 404,
    "NOT_FOUND": 404,
    "NICKNAME_TAKEN": 409,
    "EMAIL_TAKEN": 409,
    "ROOM_FULL": 409,
    "GAME_IN_PROGRESS": 409,
    "NOT_IN_ROOM": 409,
    "NOT_ALL_READY": 409,
    "NOT_PLAYING": 409,
    "RATE_LIMITED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
}


class GameError(Exception):
    """A rule was broken or a request cannot be served; `code` is one of the protocol's codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def ack(self) -> dict[str, Any]:
        """The failed ack a Socket.IO client receives."""
        return {"ok": False, "error": self.message, "code": self.code}

    def body(self) -> dict[str, str]:
        """The JSON body a REST client receives."""
        return {"message": self.message, "code": self.code}
