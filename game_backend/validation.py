"""Payload models: every Socket.IO payload and REST body is parsed here before it is used.

Models are strict: a string field takes only a string and an integer field only
an integer, so operator objects such as `{"$ne": null}` never reach a query.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from .errors import GameError

ROOM_CODE_LENGTH = 6
NICKNAME_MAX = 15
MESSAGE_MAX = 500
INSTRUMENT_MAX = 20
ROOM_TYPES = ("codeGame", "match", "tutorial")

_NICKNAME_RE = re.compile(r"^[\w-]{1,%d}$" % NICKNAME_MAX)


def _nickname(value: str) -> str:
    value = value.strip()
    if not _NICKNAME_RE.fullmatch(value):
        raise ValueError(
            f"a nickname is 1 to {NICKNAME_MAX} letters, digits, '_' or '-'"
        )
    return value


def _message(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a message cannot be empty")
    if len(value) > MESSAGE_MAX:
        raise ValueError(f"a message is at most {MESSAGE_MAX} characters")
    return value


RoomCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{6}$", max_length=64),
]
Nickname = Annotated[str, StringConstraints(max_length=64), AfterValidator(_nickname)]
ChatText = Annotated[str, StringConstraints(max_length=MESSAGE_MAX * 4), AfterValidator(_message)]
Instrument = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{1,20}$", max_length=64)]
SongNumber = Annotated[int, Field(ge=1, le=1_000_000)]


class Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class JoinRoom(Payload):
    nickname: Nickname
    code: RoomCode


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


class CreateRoomBody(Payload):
    type: Annotated[str, StringConstraints(pattern=r"^(codeGame|match|tutorial)$", max_length=16)] = "codeGame"


class GuestBody(Payload):
    nickname: Nickname


T = TypeVar("T")

_adapters: dict[Any, TypeAdapter[Any]] = {}


def parse(schema: type[T] | Any, data: Any, what: str) -> T:
    """Parse `data` as `schema` or raise GameError("INVALID_PAYLOAD") naming the first problem."""
    adapter = _adapters.get(schema)
    if adapter is None:
        adapter = _adapters[schema] = TypeAdapter(schema, config=None if _is_model(schema) else ConfigDict(strict=True))
    try:
        return adapter.validate_python(data)
    except ValidationError as error:
        raise GameError("INVALID_PAYLOAD", f"invalid {what}: {_describe(error)}") from None


def _is_model(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, BaseModel)


def _describe(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
