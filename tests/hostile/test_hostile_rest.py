"""Hostile input for every REST route the app registers (see tests/hostile/arena.py for the catalogue).

Each attack must get a 4xx JSON `{message, code}`, leave the database exactly
as it was, and leave the other clients served. A request the route accepts
(it ignored what it does not read) must store no operator.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import jwt
import pytest

from game_backend.config import Settings
from game_backend.identity.tokens import Identity, issue_token
from game_backend.testing import Player, guest_token, rest

from ..sign_in import log_in, sign_up
from ..dbstate import snapshot
from .arena import (
    HOSTILE_PATH_SEGMENTS,
    OPERATORS,
    SESSION_ENDING_ROUTES,
    Arena,
    Route,
    assert_error_body,
    body_fields,
    contains_operator,
    rest_routes,
    valid_payload,
)


@pytest.fixture
def transport() -> str:
    """The sockets here are only bystanders: WebSocket is enough."""
    return "websocket"


async def call(base_url: str, method: str, path: str, headers: dict[str, str] | None = None,
               body: Any = None, raw: bytes | None = None, http: aiohttp.ClientSession | None = None) -> tuple[int, Any]:
    """One request with any headers and any bytes; the decoded JSON answer (or its text)."""
    if http is None:
        async with aiohttp.ClientSession() as own:
            return await call(base_url, method, path, headers, body, raw, own)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    async with http.request(method, f"{base_url}{path}", data=data, headers=headers or {}) as response:
        text = await response.text()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text


def concrete(route: Route, **values: str) -> str:
    """The route's path with its placeholders filled: a room nobody has, song 1, unless told otherwise."""
    defaults = {"code": "ZZZZZZ", "number": "1"}
    path = route.path
    for name in route.params:
        path = path.replace("{" + name + "}", values.get(name, defaults.get(name, "x")))
    return path


def test_the_suite_sees_every_route() -> None:
    """The catalogue is read from the app: the protocol's routes are all there (and any added later)."""
    found = {str(route) for route in rest_routes()}
    assert {
        "POST /api/users/signup", "POST /api/users/login", "POST /api/users/guest", "PATCH /api/users/logout",
        "POST /api/rooms/create", "POST /api/rooms/match", "PATCH /api/rooms/join/{code}", "PATCH /api/rooms/leave",
        "GET /api/rooms/playerinfo/{code}", "GET /api/rooms", "POST /api/games/start", "GET /api/songs",
        "GET /api/songs/{number}", "GET /api/rankings/{song}", "GET /api/songs/difficulty/{difficulty}",
        "GET /api/songs/favorite", "GET /api/songs/recent", "PATCH /api/songs/favorite/{title}",
        "GET /api/instruments", "PATCH /api/instruments/select", "POST /api/rooms/tutorial",
        "PATCH /api/games/leave", "POST /api/games/finished", "GET /api/users/friends", "POST /api/users/friends",
        "DELETE /api/users/friends/{nickname}", "POST /api/users/logout",
    } <= found


async def _bad_credentials(arena: Arena) -> dict[str, dict[str, str]]:
    """Authorization headers that must not get anyone in, by name."""
    await sign_up(arena.base_url, "ghost@example.com", "ghost")
    revoked_account = await log_in(arena.base_url, "ghost@example.com")
    revoked_guest = await guest_token(arena.base_url, "gone")
    for token in (revoked_account, revoked_guest):
        assert (await rest(arena.base_url, "PATCH", "/api/users/logout", token))[0] == 200
    claims = jwt.decode(arena.attacker.token, options={"verify_signature": False})
    expired = issue_token(Settings(jwt_expiry_seconds=-1), Identity(claims["sub"], "mallory", True))
    tokens = {
        "garbage": "not-a-token",
        "other secret": jwt.encode(claims, "another secret of 32 characters!", algorithm="HS256"),
        "alg none": jwt.encode(claims, "", algorithm="none"),
        "claims edited": jwt.encode({**claims, "nickname": "alice"}, "a wrong secret, 32 characters long", algorithm="HS256"),
        "expired": expired,
        "revoked account": revoked_account,
        "revoked guest": revoked_guest,
        "huge": "x" * 6000,
        "operator": json.dumps({"$ne": None}),
    }
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    headers |= {"none": {}, "empty bearer": {"Authorization": "Bearer "}, "basic": {"Authorization": "Basic YTpi"},
                "no scheme": {"Authorization": arena.attacker.token}, "nickname header": {"Nickname": "alice"}}
    return headers


@pytest.mark.parametrize("route", [route for route in rest_routes() if not route.public], ids=str)
async def test_every_private_route_refuses_a_bad_missing_or_revoked_token(arena: Arena, route: Route) -> None:
    credentials = await _bad_credentials(arena)
    before = await snapshot(arena.db)
    for name, headers in credentials.items():
        status, body = await call(arena.base_url, route.method, concrete(route, code=arena.code), headers,
                                  body={"code": arena.code, "type": "codeGame"})
        assert status == 401, (route, name, status, body)
        assert_error_body(status, body, (route, name), "NOT_AUTHENTICATED")
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()


@pytest.mark.parametrize("route", [route for route in rest_routes() if route.params], ids=str)
async def test_hostile_path_segments_are_refused(arena: Arena, route: Route) -> None:
    before = await snapshot(arena.db)
    for segment in HOSTILE_PATH_SEGMENTS:
        path = concrete(route, **{name: segment for name in route.params})
        status, body = await call(arena.base_url, route.method, path, {"Authorization": f"Bearer {arena.attacker.token}"})
        assert_error_body(status, body, (route, segment))
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()


def _sink(arena: Arena) -> dict[str, Any]:
    """A body with a valid value for every field any route reads, each one that changes nothing:
    a taken email and nickname, a wrong password, a room nobody has."""
    hints = {"email": "mallory@example.com", "nickname": "mallory", "pw": "not the password", "code": "ZZZZZZ",
             "roomCode": "ZZZZZZ", "type": "codeGame", "song": 1, "number": 1, "payload": None}
    return {name: valid_payload(schema, {**hints, "payload": hints.get(name)}) for name, schema in body_fields().items()}


@pytest.mark.parametrize("route", [route for route in rest_routes()
                                   if route.method != "GET" and (route.method, route.path) not in SESSION_ENDING_ROUTES],
                         ids=str)
async def test_operator_injection_in_every_body_field(arena: Arena, route: Route) -> None:
    await sign_up(arena.base_url, "mallory@example.com", "mallory2")
    sink = _sink(arena)
    headers = {"Authorization": f"Bearer {arena.attacker.token}"}
    values = [*OPERATORS, [OPERATORS[0]], {"number": OPERATORS[2]}]
    before = await snapshot(arena.db)
    async with aiohttp.ClientSession() as http:
        for name in sink:
            for value in values:
                status, body = await call(arena.base_url, route.method, concrete(route), headers,
                                          body={**sink, name: value}, http=http)
                assert status < 500, (route, name, value, status, body)
                after = await snapshot(arena.db)
                if status >= 400:
                    assert_error_body(status, body, (route, name, value))
                    assert after == before, (route, name, value)
                else:
                    assert not contains_operator(after), (route, name, value)
                before = after
    await arena.bystander_is_served()


RAW_BODIES = {
    "not json": b"not json",
    "cut short": b'{"nickname": "x"',
    "array": b"[1, 2]",
    "string": b'"mallory"',
    "null": b"null",
    "number": b"123",
    "operator": b'{"$where": "sleep(1000)"}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "lone surrogate": b'{"nickname": "\\ud800", "email": "\\ud800@x.de", "pw": "\\ud800\\ud800\\ud800\\ud800", "code": "\\ud800"}',
    "invalid utf-8": b'{"nickname": "\xff\xfe"}',
    "nan": b'{"number": NaN, "score": Infinity}',
    "duplicate keys": b'{"nickname": "ok", "nickname": {"$ne": null}}',
    "too large": b'{"x": "' + b"y" * 1_100_000 + b'"}',
}


@pytest.mark.parametrize("route", [route for route in rest_routes() if route.method != "GET"
                                   and (route.method, route.path) not in SESSION_ENDING_ROUTES], ids=str)
async def test_malformed_bodies_are_refused(arena: Arena, route: Route) -> None:
    headers = {"Authorization": f"Bearer {arena.attacker.token}", "Content-Type": "application/json"}
    for name, raw in RAW_BODIES.items():
        before = await snapshot(arena.db)
        status, body = await call(arena.base_url, route.method, concrete(route), headers, raw=raw)
        assert status < 500, (route, name, status, body)
        if status >= 400:
            assert_error_body(status, body, (route, name))
            assert await snapshot(arena.db) == before, (route, name)
        else:
            assert not contains_operator(await snapshot(arena.db)), (route, name)
    await arena.bystander_is_served()


@pytest.mark.parametrize("route", [route for route in rest_routes() if route.method == "GET"], ids=str)
async def test_hostile_query_strings_are_harmless(arena: Arena, route: Route) -> None:
    queries = ["limit=%7B%22%24gt%22%3A0%7D", "limit=-1", "limit=1e9", "limit=99999999999999999999", "limit=",
               "limit=1&limit=2", "%24where=sleep(1000)", "code[$ne]=x", "nickname=alice"]
    headers = {"Authorization": f"Bearer {arena.attacker.token}"}
    before = await snapshot(arena.db)
    for query in queries:
        status, body = await call(arena.base_url, route.method, f"{concrete(route, code=arena.code)}?{query}", headers)
        assert status < 500, (route, query, status, body)
        if status >= 400:
            assert_error_body(status, body, (route, query))
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()


async def test_logout_ends_only_the_callers_session_whatever_the_body(arena: Arena) -> None:
    throwaway = await guest_token(arena.base_url, "temp")
    status, body = await call(arena.base_url, "PATCH", "/api/users/logout", {"Authorization": f"Bearer {throwaway}"},
                              body={"nickname": "alice", "userId": {"$ne": None}, "code": arena.code})
    assert (status, body) == (200, {"ok": True})
    for player in (arena.host, arena.attacker, arena.bystander):
        assert (await rest(arena.base_url, "GET", "/api/users/me", player.token))[0] == 200
        assert player.client.connected
    assert await arena.db.users.count_documents({"nickname": "temp"}) == 0
    assert (await rest(arena.base_url, "GET", "/api/users/me", throwaway))[0] == 401


async def test_no_route_shows_anyones_private_data(arena: Arena) -> None:
    """Every GET route, read by mallory: no email, hash, token version or session id of anyone in any answer."""
    await sign_up(arena.base_url, "alice.account@example.com", "alice_acct")
    token = await log_in(arena.base_url, "alice.account@example.com")
    status, room = await rest(arena.base_url, "POST", "/api/rooms/create", token, {"type": "codeGame"})
    assert status == 201
    leaks = ("alice.account@example.com", "$2b$", "tokenVersion", "sockets", "password", "email")
    for route in rest_routes():
        if route.method != "GET":
            continue
        status, body = await rest(arena.base_url, "GET", concrete(route, code=room["code"]), arena.attacker.token)
        text = json.dumps(body)
        if route.path == "/api/users/me":
            assert body["nickname"] == "mallory" and "alice" not in text
            continue
        assert not any(leak in text for leak in leaks), (route, text[:300])


async def test_user_status_carries_only_nickname_and_online(arena: Arena) -> None:
    """userStatus goes to those who care (issue 14): the bystander follows the newcomer as a friend."""
    newcomer = await guest_token(arena.base_url, "newcomer")
    status, _ = await rest(arena.base_url, "POST", "/api/users/friends", arena.bystander.token, {"nickname": "newcomer"})
    assert status == 201
    player = Player("newcomer", newcomer)
    await player.connect(arena.base_url, "websocket")
    await player.client.disconnect()
    await arena.bystander.wait_for("userStatus", lambda args: args[0] == {"nickname": "newcomer", "online": False})
    for args in arena.bystander.events["userStatus"]:
        assert len(args) == 1 and set(args[0]) == {"nickname", "online"}, args



async def test_rest_room_actions_follow_the_socket_rules(arena: Arena) -> None:
    """mallory, seated but not host, tries the REST doors: start alice's round, leave bob's room, join as bob."""
    assert (await arena.attacker.call("ready"))["ok"]
    before = await snapshot(arena.db)
    token = arena.attacker.token
    status, body = await rest(arena.base_url, "POST", "/api/games/start", token, {"code": arena.code})
    assert_error_body(status, body, "start", "NOT_HOST")
    status, body = await rest(arena.base_url, "PATCH", "/api/rooms/leave", token, {"code": arena.other_code})
    assert_error_body(status, body, "leave", "NOT_IN_ROOM")
    status, body = await rest(arena.base_url, "PATCH", "/api/rooms/leave", token,
                              {"code": arena.other_code, "nickname": "bob"})
    assert_error_body(status, body, "leave as bob", "NOT_IN_ROOM")
    assert await snapshot(arena.db) == before
    await arena.bystander_is_served()
