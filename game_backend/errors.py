"""The one error type the game rules raise, and how each code maps to HTTP."""

from __future__ import annotations

from typing import Any

HTTP_STATUS = {
    "INVALID_PAYLOAD": 400,
    "UNKNOWN_EVENT": 400,
    "NOT_AUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_YOUR_INSTRUMENT": 403,
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
    "ROUND_NOT_STARTED": 409,
    "SCORE_IMPOSSIBLE": 422,
    "PRESS_OUT_OF_TIME": 422,
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


# The refusals more than one rule gives, defined once. Each call makes a new error: a raised exception keeps
# its traceback and frames, so one shared instance raised again and again would hold on to all of them.


def room_not_found(code: str) -> GameError:
    return GameError("ROOM_NOT_FOUND", f"there is no room {code}")


def not_in_room(code: str) -> GameError:
    return GameError("NOT_IN_ROOM", f"you are not in room {code}")


def game_in_progress(code: str) -> GameError:
    return GameError("GAME_IN_PROGRESS", f"room {code} is playing; wait for the round to end")


def not_playing(code: str) -> GameError:
    return GameError("NOT_PLAYING", f"room {code} is not playing a round")


def unavailable() -> GameError:
    return GameError("UNAVAILABLE", "the database is unavailable; try again shortly")


def internal() -> GameError:
    return GameError("INTERNAL", "something went wrong on the server")
