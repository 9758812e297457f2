"""The REST routes for rooms, guests, songs and health, against the real app and database."""

from __future__ import annotations

import aiohttp
import pytest

from game_backend.storage.database import Database
from game_backend.testing import guest_token, rest, running_server

from ..dbstate import snapshot


async def test_create_join_playerinfo_and_leave(server: str, server_db: Database) -> None:
    alice, bob = await guest_token(server, "alice"), await guest_token(server, "bob")
    status, room = await rest(server, "POST", "/api/rooms/create", alice, {"type": "codeGame"})
    assert status == 201 and room["hostName"] == "alice" and "_id" not in room
    code = room["code"]
    status, joined = await rest(server, "PATCH", f"/api/rooms/join/{code.lower()}", bob)
    assert status == 200 and [p["nickname"] for p in joined["players"]] == ["alice", "bob"]
    status, players = await rest(server, "GET", f"/api/rooms/playerinfo/{code}", bob)
    assert status == 200 and players[1] == {"nickname": "bob", "instrument": "select", "isReady": False}
    status, listed = await rest(server, "GET", "/api/rooms")
    assert status == 200 and [(r["code"], r["playerCount"]) for r in listed] == [(code, 2)]
    status, body = await rest(server, "PATCH", "/api/rooms/leave", alice, {"code": code})
    assert status == 200 and body == {"ok": True, "message": "redirect"}
    assert (await server_db.rooms.find_one({"code": code}))["hostName"] == "bob"


async def test_quick_match_puts_players_together(server: str) -> None:
    tokens = [await guest_token(server, f"m{i}") for i in range(5)]
    codes = [(await rest(server, "POST", "/api/rooms/match", token))[1]["code"] for token in tokens]
    assert len(set(codes[:4])) == 1 and codes[4] != codes[0]


async def test_songs_and_health(server: str) -> None:
    status, songs = await rest(server, "GET", "/api/songs")
    assert status == 200 and len(songs) >= 7 and songs[0]["number"] == 0  # the tutorial, then six to play
    assert set(songs[0]) == {"number", "title", "artist", "difficulty", "bpm", "runtime", "imagePath", "favorite"}
    status, song = await rest(server, "GET", "/api/songs/3")
    assert status == 200 and song["number"] == 3
    status, body = await rest(server, "GET", "/api/songs/999")
    assert status == 404 and body["code"] == "NOT_FOUND"
    assert await rest(server, "GET", "/healthz") == (200, {"ok": True})
    assert await rest(server, "GET", "/readyz") == (200, {"ok": True})


async def test_readyz_answers_503_when_the_database_is_gone_and_healthz_stays_alive(
        mongodb_uri: str, database_name: str) -> None:
    from game_backend.storage.embedded import EmbeddedDatabase

    own = EmbeddedDatabase()
    uri = own.start()
    try:
        async with running_server(mongodb_uri=uri, database_name=database_name) as base_url:
            assert (await rest(base_url, "GET", "/healthz"))[0] == 200
            own.stop()
            assert await rest(base_url, "GET", "/readyz") == (503, {"ok": False, "database": "unavailable"})
            assert await rest(base_url, "GET", "/healthz") == (200, {"ok": True})  # alive: no restart would help
    finally:
        own.stop()


NOT_JSON_OBJECTS = [b"not json", b"[]", b"42", b'"text"', b"\xff\xfe"]
HUGE = b"y" * 900_000
BAD_BODIES = {
    ("POST", "/api/rooms/create"): NOT_JSON_OBJECTS + [
        b'{"type": {"$ne": null}}', b'{"type": "secret"}', b'{"type": 1}', b'{"type": "' + HUGE + b'"}',
    ],
    ("PATCH", "/api/rooms/leave"): NOT_JSON_OBJECTS + [
        b"{}", b'{"code": {"$ne": null}}', b'{"code": 123456}', b'{"code": "ABC"}', b'{"code": "' + HUGE + b'"}',
    ],
    ("POST", "/api/users/guest"): NOT_JSON_OBJECTS + [b"{}", b'{"nickname": {"$gt": ""}}'],
}


@pytest.mark.parametrize("method,path", sorted(BAD_BODIES))
async def test_bad_bodies_answer_400_and_change_nothing(
    method: str, path: str, server: str, server_db: Database
) -> None:
    token = await guest_token(server, "alice")
    await rest(server, "POST", "/api/rooms/create", token, {})
    before = await snapshot(server_db)
    for raw in BAD_BODIES[(method, path)]:
        status, body = await rest(server, method, path, token, raw=raw)
        assert status == 400 and body["code"] == "INVALID_PAYLOAD" and body["message"], (raw[:40], body)
    assert await snapshot(server_db) == before


async def test_a_body_over_the_size_limit_answers_413(server: str, server_db: Database) -> None:
    token = await guest_token(server, "alice")
    before = await snapshot(server_db)
    status, body = await rest(server, "POST", "/api/rooms/create", token, raw=b'{"type": "' + b"z" * 2_000_000 + b'"}')
    assert status == 413 and body["code"] == "INVALID_PAYLOAD"
    assert await snapshot(server_db) == before


async def test_bad_path_codes_and_unknown_rooms(server: str, server_db: Database) -> None:
    token = await guest_token(server, "alice")
    before = await snapshot(server_db)
    for path in ("/api/rooms/join/ABC", "/api/rooms/join/%24ne", "/api/rooms/join/" + "A" * 5000):
        status, body = await rest(server, "PATCH", path, token)
        assert status == 400 and body["code"] == "INVALID_PAYLOAD", (path[:40], body)
    status, body = await rest(server, "PATCH", "/api/rooms/join/%7B%22$ne%22:null%7D", token)
    assert status == 404 and body["code"] == "NOT_FOUND"  # braces never match a route
    status, body = await rest(server, "PATCH", "/api/rooms/join/ZZZZZZ", token)
    assert status == 404 and body["code"] == "ROOM_NOT_FOUND"
    status, body = await rest(server, "GET", "/api/rooms/playerinfo/ZZZZZZ", token)
    assert status == 404 and body["code"] == "ROOM_NOT_FOUND"
    status, body = await rest(server, "PATCH", "/api/rooms/leave", token, {"code": "ZZZZZZ"})
    assert status == 404
    status, body = await rest(server, "GET", "/api/songs/abc")
    assert status == 400 and body["code"] == "INVALID_PAYLOAD"
    status, body = await rest(server, "GET", "/api/nothing-here")
    assert status == 404 and body["code"] == "NOT_FOUND"
    assert await snapshot(server_db) == before


async def test_full_and_playing_rooms_answer_409(server: str, server_db: Database) -> None:
    tokens = [await guest_token(server, f"p{i}") for i in range(5)]
    _, room = await rest(server, "POST", "/api/rooms/create", tokens[0], {})
    for token in tokens[1:4]:
        assert (await rest(server, "PATCH", f"/api/rooms/join/{room['code']}", token))[0] == 200
    status, body = await rest(server, "PATCH", f"/api/rooms/join/{room['code']}", tokens[4])
    assert status == 409 and body["code"] == "ROOM_FULL"
    _, other = await rest(server, "POST", "/api/rooms/create", tokens[4], {})
    await server_db.rooms.update_one({"code": other["code"]}, {"$set": {"gameState": "playing"}})
    status, body = await rest(server, "PATCH", f"/api/rooms/join/{other['code']}", tokens[0])
    assert status == 409 and body["code"] == "GAME_IN_PROGRESS"


async def test_routes_need_a_token(server: str, server_db: Database) -> None:
    before = await snapshot(server_db)
    for method, path in [("POST", "/api/rooms/create"), ("POST", "/api/rooms/match"),
                         ("PATCH", "/api/rooms/join/ABCDEF"), ("PATCH", "/api/rooms/leave"),
                         ("GET", "/api/rooms/playerinfo/ABCDEF")]:
        for header in (None, "Bearer", "Bearer nonsense", "Basic abc"):
            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": header} if header else {}
                async with http.request(method, f"{server}{path}", headers=headers) as response:
                    body = await response.json()
            assert response.status == 401 and body["code"] == "NOT_AUTHENTICATED", (method, path, header)
    assert await snapshot(server_db) == before


async def test_a_taken_guest_nickname_and_a_bad_one(server: str, server_db: Database) -> None:
    await guest_token(server, "alice")
    status, body = await rest(server, "POST", "/api/users/guest", body={"nickname": "alice"})
    assert status == 409 and body["code"] == "NICKNAME_TAKEN"
    for bad in ({"nickname": {"$ne": None}}, {"nickname": ""}, {"nickname": "x" * 16}, {"nickname": "a b"}, {}):
        status, body = await rest(server, "POST", "/api/users/guest", body=bad)
        assert status == 400 and body["code"] == "INVALID_PAYLOAD", (bad, body)
    assert await server_db.users.count_documents({}) == 1
