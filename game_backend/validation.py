"""Payload models: every Socket.IO payload and REST body is parsed here before it is used.

Models are strict: a string field takes only a string and an integer field only
an integer, so operator objects such as `{"$ne": null}` never reach a query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from . import text_rules
from .errors import GameError
from .room_codes import CODE_PATTERN
from .text_rules import MESSAGE_MAX

RoomCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=CODE_PATTERN, max_length=64),
]
Nickname = Annotated[str, StringConstraints(max_length=64), AfterValidator(text_rules.nickname)]
ChatText = Annotated[str, StringConstraints(max_length=MESSAGE_MAX * 4), AfterValidator(text_rules.message)]
Instrument = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{1,20}$", max_length=64)]
SongNumber = Annotated[int, Field(ge=0, le=1_000_000)]
MAX_SCORE = 100_000_000
MAX_COMBO = 1_000_000
Score = Annotated[int, Field(ge=0, le=MAX_SCORE)]


def _forgiving_score(value: Any) -> Any:
    """A final score as Motion Beat's client sends it: read from sessionStorage, so a digit string, or null."""
    if value is None:
        return 0
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) <= 9:
        return int(value.strip())
    return value  # anything else is checked as a Score: an integer, or refused


FinalScore = Annotated[Score, BeforeValidator(_forgiving_score)]
Combo = Annotated[int, Field(ge=0, le=MAX_COMBO)]
MotionType = (
    Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,20}$", max_length=64)]
    | Annotated[int, Field(ge=0, le=1000)]
)
RankingLimit = Annotated[int, Field(ge=1, le=100)]


class Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class JoinRoom(Payload):
    """`{nickname, code}`, or a whole room document (Motion Beat's tutorial sends that): its `code` counts."""

    code: RoomCode
    nickname: Nickname | None = None


class ChangeInstrument(Payload):
    roomCode: RoomCode
    instrument: Instrument


class SongRef(Payload):
    number: SongNumber


class ChangeSong(Payload):
    roomCode: RoomCode
    song: SongNumber | SongRef

    @property
    def song_number(self) -> int:
        return self.song if isinstance(self.song, int) else self.song.number


class CodeBody(Payload):
    code: RoomCode


class PlayerLoaded(Payload):
    nickname: Nickname
    code: RoomCode


class Hit(Payload):
    code: RoomCode
    nickname: Nickname
    currentScore: Score
    combo: Combo
    instrument: Instrument
    motionType: MotionType


Motion = Annotated[str, StringConstraints(pattern=r"^[AB]$", max_length=1)]
Milliseconds = Annotated[float, Field(ge=-86_400_000, le=86_400_000, allow_inf_nan=False)]


class Press(Payload):
    """A key press, `at` milliseconds after the round's start on the player's synchronized clock."""

    code: RoomCode
    at: Milliseconds
    nickname: Nickname | None = None
    instrument: Instrument | None = None
    motion: Motion | None = None


class ClockSync(Payload):
    clientTime: Annotated[float, Field(allow_inf_nan=False)] | None = None


class GameEnded(Payload):
    code: RoomCode
    nickname: Nickname
    score: FinalScore = 0


class CreateRoomBody(Payload):
    type: Annotated[str, StringConstraints(pattern=r"^(codeGame|match|tutorial)$", max_length=16)] = "codeGame"


class GuestBody(Payload):
    nickname: Nickname


class FriendBody(Payload):
    nickname: Nickname


class InstrumentBody(Payload):
    instrumentName: Instrument


class FavoriteBody(Payload):
    favorite: bool


Difficulty = Annotated[str, StringConstraints(pattern=r"^(easy|normal|hard)$", max_length=16)]
SongTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# The max_length bounds only the work done on hostile input; the validators give the real limits.
Email = Annotated[str, StringConstraints(max_length=1024), AfterValidator(text_rules.email)]
NewPassword = Annotated[str, StringConstraints(max_length=1024), AfterValidator(text_rules.new_password)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class SignupBody(Payload):
    email: Email
    nickname: Nickname
    pw: NewPassword


class LoginBody(Payload):
    email: Email
    pw: Password


T = TypeVar("T")

_validators: dict[tuple[Any, bool], Callable[[Any], Any]] = {}


def parse(schema: type[T] | Any, data: Any, what: str, *, strict: bool = True) -> T:
    """Parse `data` as `schema` or raise GameError("INVALID_PAYLOAD") naming the first problem.

    `strict=False` is for text that stands for a number, such as a URL path segment.
    """
    try:
        parsed: T = validator(schema, strict)(data)
        return parsed
    except ValidationError as error:
        raise invalid(what, error) from None


def validator(schema: Any, strict: bool = True) -> Callable[[Any], Any]:
    """What `parse` calls: `schema`'s validation, which raises ValidationError (for a caller that holds on to it,
    such as the dispatcher, and turns the error into `invalid`)."""
    validate = _validators.get((schema, strict))
    if validate is None:
        validate = _validators[(schema, strict)] = _validator_of(schema, strict)
    return validate


def invalid(what: str, error: ValidationError) -> GameError:
    """INVALID_PAYLOAD, naming the first problem `error` found in the `what`."""
    return GameError("INVALID_PAYLOAD", f"invalid {what}: {_describe(error)}")


def _validator_of(schema: Any, strict: bool) -> Callable[[Any], Any]:
    """pydantic-core's own validation of `schema`, called directly: a `hit` is parsed dozens of times a second per
    player, and TypeAdapter.validate_python's wrapper around it cost as much as the validation itself."""
    if _is_model(schema):
        validate: Callable[[Any], Any] = schema.__pydantic_validator__.validate_python
        return validate
    return TypeAdapter(schema, config=ConfigDict(strict=strict)).validator.validate_python


def _is_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, BaseModel)


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
