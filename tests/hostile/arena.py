"""The hostile-input suite's catalogue: every event and REST route the server registers, and what is thrown at them.

Events come from `game_backend.realtime.ROUTERS` and routes from the app's
router, so an event or route added later is attacked without editing the suite.
Valid payloads are built from each schema: for every field the first candidate
value that the field's own type accepts (the room code for a room code, the
attacker's nickname for a nickname...), so that an injected field is the only
thing wrong with a payload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from game_backend import realtime, validation
from game_backend.app import create_app
from game_backend.config import Settings
from game_backend.storage.database import Database, connect
from game_backend.testing import Player, guest_token, rest, running_server

from ..sign_in import FAST_BCRYPT

OPERATORS: list[Any] = [
    {"$gt": ""},
    {"$where": "sleep(1000) || true"},
    {"$ne": None},
    {"$regex": ".*"},
    {"$exists": True},
    {"$in": ["", 0, None]},
    {"$expr": {"$eq": [1, 1]}},
]

WRONG_SHAPES: list[Any] = [
    None, True, False, 0, -1, 3.5, 2**63 - 1, -(2**63), 1e300, "", "   ", "x" * 10_000, "\u0000", "\ud7a3" * 600,
    [], [None], [["ABCDEF"]], {}, {"": None}, {"__proto__": {"isAdmin": True}}, {"constructor": {"prototype": {}}},
]

HOSTILE_PATH_SEGMENTS = [
    '{"$ne":null}', "$where", "$gt", "%7B%22%24ne%22%3Anull%7D", "%2524ne", "ABCDE%00", "ABCDEF%00", "..%2F..%2Fetc",
    "A" * 2000, "-1", "007", "1e3", "1.5", "0x10", "99999999999999999999", "１", "ＡＢＣＤＥＦ", "null", "[]", "%20",
]

# The routes that need no token (docs/protocol.md's contract; 0 is a song, the tutorial, so not a hostile segment).
PUBLIC_ROUTES = {
    ("POST", "/api/users/signup"), ("POST", "/api/users/login"), ("POST", "/api/users/guest"),
    ("GET", "/api/songs"), ("GET", "/api/songs/{number}"), ("GET", "/api/songs/difficulty/{difficulty}"),
    ("GET", "/api/rankings/{song}"), ("GET", "/api/rooms"), ("GET", "/api/instruments"),
    ("GET", "/api/games/{id}/replay"),
}
# Ends the caller's session whatever the body says, so it is attacked with its own throwaway token.
SESSION_ENDING_ROUTES = {("PATCH", "/api/users/logout"), ("POST", "/api/users/logout")}

# Events whose purpose is to enter a room: an outsider may send them.
ENTRY_EVENTS = {"joinRoom"}
# Events that act in no room: a reading of the server's clock.
ROOMLESS_EVENTS = {"clockSync"}
# Events only a room's host may send.
HOST_ONLY_EVENTS = {"changeSong", "startGame"}

CODES = {
    "INVALID_PAYLOAD", "NOT_AUTHENTICATED", "FORBIDDEN", "NICKNAME_TAKEN", "EMAIL_TAKEN", "ROOM_NOT_FOUND", "ROOM_FULL",
    "GAME_IN_PROGRESS", "NOT_IN_ROOM", "NOT_HOST", "NOT_ALL_READY", "NOT_PLAYING", "RATE_LIMITED", "NOT_FOUND",
    "SCORE_IMPOSSIBLE", "PRESS_OUT_OF_TIME", "NOT_YOUR_INSTRUMENT", "ROUND_NOT_STARTED",
}


# ---- what the server registers

def events() -> dict[str, Any]:
    """Every client-to-server event, with its payload schema (None: the event takes no payload)."""
    return {name: route.schema for router in realtime.ROUTERS for name, route in router.routes.items()}


def payload_events() -> list[str]:
    return sorted(name for name, schema in events().items() if schema is not None)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # with {placeholders}

    @property
    def public(self) -> bool:
        return (self.method, self.path) in PUBLIC_ROUTES

    @property
    def params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def rest_routes() -> list[Route]:
    """Every /api route of the app, as registered (the app is built, not started)."""
    app = create_app(Settings())
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or ""
        if path.startswith("/api/") and route.method not in {"HEAD", "OPTIONS", "*"}:
            found.add(Route(route.method, path))
    return sorted(found, key=str)


def body_fields() -> dict[str, Any]:
    """Every field name of every payload model, with the type of its first occurrence."""
    fields: dict[str, Any] = {}
    pending = list(validation.Payload.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        for name, info in model.model_fields.items():
            fields.setdefault(name, _field_type(info))
    return fields


# ---- building payloads from schemas

def _field_type(info: Any) -> Any:
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


_strict: dict[Any, TypeAdapter[Any]] = {}


def accepts(schema: Any, value: Any) -> bool:
    """Whether the server's schema takes `value` (as the dispatcher parses: strictly)."""
    adapter = _strict.get(schema)
    if adapter is None:
        is_model = isinstance(schema, type) and issubclass(schema, BaseModel)
        adapter = _strict[schema] = TypeAdapter(schema, config=None if is_model else ConfigDict(strict=True))
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _first_accepted(schema: Any, candidates: list[Any]) -> Any:
    for candidate in candidates:
        if accepts(schema, candidate):
            return candidate
    raise AssertionError(f"no candidate value fits {schema!r}: teach tests/hostile/arena.py a value for it")


def valid_payload(schema: Any, hints: dict[str, Any]) -> Any:
    """A payload `schema` accepts, using `hints` (field name -> value) first."""
    generic = [hints.get("nickname"), hints.get("code"), "drums", 1, 0, {"number": 1}, "hello", True, "A"]
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        payload = {}
        for name, info in schema.model_fields.items():
            candidates = ([hints[name]] if name in hints else []) + generic
            payload[name] = _first_accepted(_field_type(info), candidates)
        assert accepts(schema, payload), payload
        return payload
    return _first_accepted(schema, [hints.get("payload")] + generic)


def injections(schema: Any, hints: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(label, payload) pairs: an operator object in every field of an otherwise valid payload."""
    base = valid_payload(schema, hints)
    for operator in OPERATORS:
        if isinstance(base, dict):
            for name in base:
                yield f"{name}={operator}", {**base, name: operator}
                yield f"{name}=[{operator}]", {**base, name: [operator]}
                yield f"{name}.number={operator}", {**base, name: {"number": operator}}
        else:
            yield f"payload={operator}", operator
            yield f"payload=[{operator}]", [operator]


def contains_operator(value: Any) -> bool:
    """Whether a stored document holds a key starting with `$` anywhere (what an injection would leave)."""
    if isinstance(value, dict):
        return any(str(key).startswith("$") or contains_operator(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_operator(item) for item in value)
    return False


def assert_failed_ack(ack: Any, context: Any, code: str | None = None) -> None:
    assert isinstance(ack, dict) and ack.get("ok") is False, (context, ack)
    assert isinstance(ack.get("error"), str) and ack["error"], (context, ack)
    assert ack.get("code") in CODES, (context, ack)
    if code is not None:
        assert ack["code"] == code, (context, ack)


def assert_error_body(status: int, body: Any, context: Any, code: str | None = None) -> None:
    assert 400 <= status < 500, (context, status, body)
    assert isinstance(body, dict) and set(body) == {"message", "code"}, (context, status, body)
    assert isinstance(body["message"], str) and body["message"] and body["code"] in CODES, (context, body)
    if code is not None:
        assert body["code"] == code, (context, body)


# ---- the scene: a room with a host and a seated attacker, and a bystander in another room

@dataclass
class Arena:
    base_url: str
    db: Database
    host: Player  # alice, host of `code`
    attacker: Player  # mallory, seated in `code`, not host
    bystander: Player  # bob, host of `other_code`
    code: str
    other_code: str

    @property
    def hints(self) -> dict[str, Any]:
        return {"nickname": self.attacker.nickname, "code": self.code, "roomCode": self.code,
                "instrument": "drums", "song": 1, "payload": None}

    async def bystander_is_served(self) -> None:
        assert await self.bystander.call("login", "bob") == {"ok": True, "nickname": "bob"}
        status, rooms = await rest(self.base_url, "GET", "/api/rooms")
        assert status == 200 and isinstance(rooms, list)


GENEROUS_LIMITS = {"event_rate": 100_000.0, "event_burst": 100_000, "chat_rate": 100_000.0, "chat_burst": 100_000,
                   "hit_rate": 100_000.0, "hit_burst": 100_000, "auth_rate": 100_000.0, "auth_burst": 100_000}


async def _seat(base_url: str, transport: str, nickname: str, code: str | None = None) -> tuple[Player, str]:
    player = Player(nickname, await guest_token(base_url, nickname))
    await player.connect(base_url, transport)
    if code is None:
        status, room = await rest(base_url, "POST", "/api/rooms/create", player.token, {"type": "codeGame"})
        assert status == 201, room
        code = room["code"]
    ack = await player.call("joinRoom", {"nickname": nickname, "code": code})
    assert ack["ok"] is True, ack
    return player, code


@pytest.fixture
async def arena(mongodb_uri: str, database_name: str, transport: str) -> AsyncIterator[Arena]:
    """A server whose rate limits stay out of the way, so that every refusal is about the payload itself."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name, bcrypt_rounds=FAST_BCRYPT,
                              **GENEROUS_LIMITS) as base_url:
        db = connect(mongodb_uri, database_name)
        host, code = await _seat(base_url, transport, "alice")
        attacker, _ = await _seat(base_url, transport, "mallory", code)
        bystander, other_code = await _seat(base_url, transport, "bob")
        try:
            yield Arena(base_url, db, host, attacker, bystander, code, other_code)
        finally:
            for player in (host, attacker, bystander):
                if player.client.connected:
                    await player.client.disconnect()
            await db.client.drop_database(database_name)
            await db.close()
