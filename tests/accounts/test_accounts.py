"""Accounts: sign-up, login, logout (revocation), the caller's own data, tokens, production start-up checks."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import jwt
import pytest

from game_backend.config import DEFAULT_JWT_SECRET, Settings, problems
from game_backend.identity.tokens import Identity, issue_token
from game_backend.storage.database import Database
from game_backend.testing import Player, guest_token, rest

from ..sign_in import log_in, sign_up, try_connect
from ..dbstate import snapshot


async def test_signup_stores_a_bcrypt_hash_and_a_normalized_email(site: str, site_db: Database) -> None:
    status, body = await rest(site, "POST", "/api/users/signup",
                              body={"email": "  Alice@Example.COM ", "nickname": " alice ", "pw": "correct horse"})
    assert status == 201, body
    assert body == {"userId": body["userId"], "nickname": "alice", "email": "alice@example.com"}
    user = await site_db.users.find_one({"nickname": "alice"})
    assert user["email"] == "alice@example.com" and user["guest"] is False
    assert user["password"].startswith("$2b$04$") and "correct horse" not in user["password"]


async def test_taken_email_and_nickname_answer_409_and_store_nothing(site: str, site_db: Database) -> None:
    await sign_up(site, "alice@example.com", "alice")
    await guest_token(site, "bob")
    before = await snapshot(site_db)
    cases = [
        ({"email": "ALICE@example.com", "nickname": "alice2", "pw": "12345678"}, "EMAIL_TAKEN"),
        ({"email": "other@example.com", "nickname": "alice", "pw": "12345678"}, "NICKNAME_TAKEN"),
        ({"email": "bob@example.com", "nickname": "bob", "pw": "12345678"}, "NICKNAME_TAKEN"),  # a guest holds it
    ]
    for body, code in cases:
        status, answer = await rest(site, "POST", "/api/users/signup", body=body)
        assert (status, answer["code"]) == (409, code), answer
        assert answer["message"]
    status, answer = await rest(site, "POST", "/api/users/guest", body={"nickname": "alice"})
    assert (status, answer["code"]) == (409, "NICKNAME_TAKEN")
    assert await snapshot(site_db) == before


@pytest.mark.parametrize("field, value", [
    ("pw", "seven77"), ("pw", "x" * 73), ("pw", "가" * 25), ("pw", 12345678), ("pw", None),
    ("email", "no-at-sign"), ("email", "a@b"), ("email", "two@@example.com"), ("email", "sp ace@example.com"),
    ("email", "x" * 250 + "@example.com"), ("email", ["a@example.com"]),
    ("nickname", ""), ("nickname", "   "), ("nickname", "a" * 16), ("nickname", "semi;colon"), ("nickname", 7),
])
async def test_signup_refuses_bad_fields(site: str, site_db: Database, field: str, value: object) -> None:
    body = {"email": "carol@example.com", "nickname": "carol", "pw": "long enough", field: value}
    status, answer = await rest(site, "POST", "/api/users/signup", body=body)
    assert (status, answer["code"]) == (400, "INVALID_PAYLOAD"), answer
    assert field in answer["message"]
    assert await site_db.users.count_documents({}) == 0


async def test_password_limits_are_counted_in_utf8_bytes(site: str) -> None:
    await sign_up(site, "kim@example.com", "김민수", pw="가" * 24)  # 72 bytes: bcrypt's whole input
    assert await log_in(site, "kim@example.com", pw="가" * 24)


async def test_login_answers_a_token_and_the_same_401_for_unknown_email_or_wrong_password(site: str) -> None:
    account = await sign_up(site, "dave@example.com", "dave")
    status, body = await rest(site, "POST", "/api/users/login", body={"email": "DAVE@example.com ", "pw": "correct horse"})
    assert status == 200
    assert set(body) == {"jwtoken", "userId", "nickname"}
    assert (body["userId"], body["nickname"]) == (account["userId"], "dave")
    wrong = await rest(site, "POST", "/api/users/login", body={"email": "dave@example.com", "pw": "wrong horse"})
    unknown = await rest(site, "POST", "/api/users/login", body={"email": "nobody@example.com", "pw": "correct horse"})
    too_long = await rest(site, "POST", "/api/users/login", body={"email": "dave@example.com", "pw": "correct horse" * 9})
    assert wrong == unknown == too_long == (401, {"message": "wrong email or password", "code": "NOT_AUTHENTICATED"})
    guest = await rest(site, "POST", "/api/users/login", body={"email": "dave@example.com"})
    assert guest[0] == 400


async def test_an_account_token_works_on_sockets_and_rest(site: str) -> None:
    await sign_up(site, "erin@example.com", "erin")
    token = await log_in(site, "erin@example.com")
    player = Player("erin", token)
    await player.connect(site, "websocket")
    try:
        assert await player.call("login", "erin") == {"ok": True, "nickname": "erin"}
        status, room = await rest(site, "POST", "/api/rooms/create", token, {"type": "codeGame"})
        assert status == 201 and room["hostName"] == "erin"
    finally:
        await player.client.disconnect()


async def test_me_shows_only_the_callers_own_data(site: str) -> None:
    account = await sign_up(site, "fay@example.com", "fay")
    token = await log_in(site, "fay@example.com")
    status, me = await rest(site, "GET", "/api/users/me", token)
    assert status == 200
    assert {key: me[key] for key in ("userId", "nickname", "guest", "email")} == {
        "userId": account["userId"], "nickname": "fay", "guest": False, "email": "fay@example.com"}
    assert set(me) <= {"userId", "nickname", "guest", "email", "createdAt"}
    status, me = await rest(site, "GET", "/api/users/me", await guest_token(site, "gus"))
    assert status == 200 and me["guest"] is True and "email" not in me
    status, body = await rest(site, "GET", "/api/users/me")
    assert (status, body["code"]) == (401, "NOT_AUTHENTICATED")


async def test_logout_revokes_every_token_closes_sockets_and_gives_up_seats(site: str, site_db: Database) -> None:
    await sign_up(site, "hana@example.com", "hana")
    first, second = await log_in(site, "hana@example.com"), await log_in(site, "hana@example.com")
    host = Player("host", await guest_token(site, "host"))
    hana = Player("hana", first)
    for player in (host, hana):
        await player.connect(site, "websocket")
    status, room = await rest(site, "POST", "/api/rooms/create", host.token, {})
    code = room["code"]
    await host.call("joinRoom", {"nickname": "host", "code": code})
    assert (await hana.call("joinRoom", {"nickname": "hana", "code": code}))["ok"]

    assert await rest(site, "PATCH", "/api/users/logout", second) == (200, {"ok": True})

    await host.wait_for(f"leftRoom{code}", lambda args: [p["nickname"] for p in args[0]] == ["host"])
    await host.wait_for("userStatus", lambda args: args[0] == {"nickname": "hana", "online": False})
    for _ in range(100):
        if not hana.client.connected:
            break
        await asyncio.sleep(0.05)
    assert not hana.client.connected
    for token in (first, second):
        status, body = await rest(site, "GET", "/api/users/me", token)
        assert (status, body["code"]) == (401, "NOT_AUTHENTICATED")
        assert "sign in again" in body["message"]
        client, refusal = await try_connect(site, token)
        assert client is None and "sign in again" in refusal["message"]
    status, body = await rest(site, "PATCH", "/api/users/logout", second)
    assert status == 401
    user = await site_db.users.find_one({"nickname": "hana"})
    assert user["tokenVersion"] == 1 and user["sockets"] == []
    fresh = await log_in(site, "hana@example.com")
    assert (await rest(site, "GET", "/api/users/me", fresh))[0] == 200
    await host.client.disconnect()


async def test_a_guest_who_logs_out_frees_the_nickname(site: str, site_db: Database) -> None:
    token = await guest_token(site, "ivy")
    assert await rest(site, "PATCH", "/api/users/logout", token) == (200, {"ok": True})
    assert await site_db.users.count_documents({"nickname": "ivy"}) == 0
    status, body = await rest(site, "GET", "/api/users/me", token)
    assert status == 401
    newcomer = await guest_token(site, "ivy")
    assert (await rest(site, "GET", "/api/users/me", newcomer))[1]["nickname"] == "ivy"
    client, refusal = await try_connect(site, token)
    assert client is None and "sign in again" in refusal["message"]


def _forged(claims: dict, key: str = DEFAULT_JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_expired_forged_and_unsigned_tokens_are_refused_everywhere(site: str) -> None:
    real = await guest_token(site, "jay")
    claims = jwt.decode(real, options={"verify_signature": False})
    expired = issue_token(Settings(jwt_expiry_seconds=-10), Identity(claims["sub"], "jay", True))
    impostor = {**claims, "nickname": "someone"}
    tokens = {
        "expired": (expired, "the token has expired: sign in again"),
        "other secret": (_forged(claims, key="x" * 32), "the token is not valid: sign in again"),
        "alg none": (_forged(claims, key="", algorithm="none"), "the token is not valid: sign in again"),
        "edited claims": (real.split(".")[0] + "." + _forged(impostor).split(".")[1] + "." + real.split(".")[2],
                          "the token is not valid: sign in again"),
        "no expiry": (_forged({"sub": claims["sub"], "nickname": "jay"}), "the token is not valid: sign in again"),
        "not a string": (12345, "a token is required: sign in first"),
    }
    for name, (token, message) in tokens.items():
        client, refusal = await try_connect(site, token)
        assert client is None and refusal == {"message": message, "data": {"code": "NOT_AUTHENTICATED"}}, name
        if isinstance(token, str):
            status, body = await rest(site, "POST", "/api/rooms/create", token, {})
            assert (status, body) == (401, {"message": message, "code": "NOT_AUTHENTICATED"}), name


async def test_a_valid_signature_for_another_users_id_is_refused(site: str) -> None:
    """Even with the secret, a token must name a user id and nickname that belong together."""
    await guest_token(site, "kai")
    other = jwt.decode(await guest_token(site, "lea"), options={"verify_signature": False})
    mixed = _forged({**other, "nickname": "kai"})
    client, refusal = await try_connect(site, mixed)
    assert client is None and "sign in again" in refusal["message"]


def test_problems_name_the_default_secret_a_short_one_and_cors_star() -> None:
    good = Settings(production=True, jwt_secret="s" * 40, cors_origins=("https://game.example.com",))
    assert problems(good) == []
    assert problems(Settings()) == []  # development: anything goes
    assert "JWT_SECRET is the development default" in problems(good.replace(jwt_secret=DEFAULT_JWT_SECRET))[0]
    assert "shorter than 32" in problems(good.replace(jwt_secret="short"))[0]
    assert "CORS_ORIGINS is *" in problems(good.replace(cors_origins=("*",)))[0]
    assert "letters and digits" in problems(Settings(node_id="a.b"))[0]
    assert problems(Settings(node_id="web2")) == []


@pytest.mark.parametrize("env, expected", [
    ({"PRODUCTION": "true"}, "JWT_SECRET is the development default"),
    ({"PRODUCTION": "true", "JWT_SECRET": "s" * 40}, "CORS_ORIGINS is *"),
])
def test_production_mode_refuses_to_start_with_one_clear_line(env: dict[str, str], expected: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"JWT_SECRET", "CORS_ORIGINS", "MONGODB_URI"}}
    result = subprocess.run([sys.executable, "-m", "game_backend", "--port", "0"], capture_output=True, text=True,
                            timeout=60, env={**environment, **env})
    assert result.returncode == 2  # a setting it cannot use
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("game-backend: error: PRODUCTION is on") and expected in lines[0]


async def test_logout_closes_the_users_sockets_on_every_process(two_servers: list[str]) -> None:
    """Signing out on one process disconnects the user's socket held by another (through Redis)."""
    first, second = two_servers
    token = await guest_token(first, "roamer")
    player = Player("roamer", token)
    await player.connect(second, "websocket")
    assert await rest(first, "PATCH", "/api/users/logout", token) == (200, {"ok": True})
    for _ in range(100):
        if not player.client.connected:
            break
        await asyncio.sleep(0.05)
    assert not player.client.connected
    client, refusal = await try_connect(second, token)
    assert client is None and "sign in again" in refusal["message"]
