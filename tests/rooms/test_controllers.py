"""The rules of rooms and chat, against a real database, through both drivers."""

from __future__ import annotations

import asyncio

import pytest

from game_backend.controllers import chat, rooms
from game_backend.errors import GameError
from game_backend.identity.tokens import Identity
from game_backend.storage.database import Database


def me(nickname: str) -> Identity:
    return Identity(user_id=f"id-{nickname}", nickname=nickname, guest=True)


async def room_with(db: Database, *nicknames: str) -> str:
    seat = await rooms.create_room(db, nicknames[0])
    for nickname in nicknames[1:]:
        await rooms.join_room(db, seat.room["code"], nickname)
    return seat.room["code"]


async def test_create_room_makes_a_ready_host_with_a_catalogue_song(db: Database) -> None:
    seat = await rooms.create_room(db, "alice")
    room = seat.room
    assert len(room["code"]) == 6 and room["code"].isalnum() and room["code"].isupper()
    assert room["hostName"] == "alice"
    assert room["players"] == [{"nickname": "alice", "instrument": "select", "isReady": True}]
    assert room["gameState"] == "waiting" and room["type"] == "codeGame"
    assert await db.songs.find_one({"number": room["song"]}) is not None
    assert await db.rooms.count_documents({"code": room["code"]}) == 1


async def test_room_codes_are_unique_even_when_the_generator_collides(db: Database, monkeypatch) -> None:
    codes = iter(["AAAAAA", "AAAAAA", "BBBBBB"])
    monkeypatch.setattr(rooms, "new_code", lambda: next(codes))
    first = await rooms.create_room(db, "alice")
    second = await rooms.create_room(db, "bob")
    assert (first.room["code"], second.room["code"]) == ("AAAAAA", "BBBBBB")


async def test_join_adds_a_player_who_is_not_ready(db: Database) -> None:
    code = await room_with(db, "alice")
    seat = await rooms.join_room(db, code, "bob")
    assert seat.joined
    assert seat.room["players"][1] == {"nickname": "bob", "instrument": "select", "isReady": False}
    again = await rooms.join_room(db, code, "bob")
    assert not again.joined and len(again.room["players"]) == 2


async def test_join_refuses_a_full_room_an_unknown_room_and_a_playing_room(db: Database) -> None:
    code = await room_with(db, "a", "b", "c", "d")
    with pytest.raises(GameError) as full:
        await rooms.join_room(db, code, "e")
    assert full.value.code == "ROOM_FULL"
    with pytest.raises(GameError) as missing:
        await rooms.join_room(db, "ZZZZZZ", "e")
    assert missing.value.code == "ROOM_NOT_FOUND"
    playing = await room_with(db, "p")
    await db.rooms.update_one({"code": playing}, {"$set": {"gameState": "playing"}})
    with pytest.raises(GameError) as busy:
        await rooms.join_room(db, playing, "e")
    assert busy.value.code == "GAME_IN_PROGRESS"
    assert len((await rooms.get_room(db, code))["players"]) == 4


async def test_joining_another_room_leaves_the_first(db: Database) -> None:
    first = await room_with(db, "alice", "bob")
    second = await room_with(db, "carol")
    seat = await rooms.join_room(db, second, "bob")
    assert [left.code for left in seat.departures] == [first]
    assert await rooms.rooms_of(db, "bob") == [second]


async def test_leave_passes_the_host_to_the_first_remaining_player_and_deletes_an_empty_room(db: Database) -> None:
    code = await room_with(db, "alice", "bob", "carol")
    left = await rooms.leave_room(db, code, "alice")
    assert left.new_host == "bob"
    assert left.room["hostName"] == "bob"
    assert [p["nickname"] for p in left.room["players"]] == ["bob", "carol"]
    assert left.room["players"][0]["isReady"] is True
    left = await rooms.leave_room(db, code, "carol")
    assert left.new_host is None and left.room["hostName"] == "bob"
    left = await rooms.leave_room(db, code, "bob")
    assert left.room is None
    assert await db.rooms.count_documents({"code": code}) == 0


async def test_leave_by_a_stranger_changes_nothing(db: Database) -> None:
    code = await room_with(db, "alice")
    with pytest.raises(GameError) as error:
        await rooms.leave_room(db, code, "mallory")
    assert error.value.code == "NOT_IN_ROOM"
    with pytest.raises(GameError) as missing:
        await rooms.leave_room(db, "ZZZZZZ", "alice")
    assert missing.value.code == "ROOM_NOT_FOUND"
    assert (await rooms.get_room(db, code))["players"][0]["nickname"] == "alice"


async def test_ready_toggles_and_all_ready_follows(db: Database) -> None:
    code = await room_with(db, "alice", "bob")
    assert not rooms.all_ready(await rooms.get_room(db, code))
    room = await rooms.toggle_ready(db, code, "bob")
    assert rooms.all_ready(room)
    room = await rooms.toggle_ready(db, code, "bob")
    assert not rooms.all_ready(room)
    assert room["players"][0]["isReady"] is True


async def test_instrument_and_song(db: Database) -> None:
    code = await room_with(db, "alice", "bob")
    room = await rooms.change_instrument(db, code, "bob", "drum")
    assert room["players"][1]["instrument"] == "drum"
    song = await rooms.change_song(db, code, "alice", 3)
    assert song["number"] == 3 and song["title"]
    assert (await rooms.get_room(db, code))["song"] == 3
    with pytest.raises(GameError) as not_host:
        await rooms.change_song(db, code, "bob", 4)
    assert not_host.value.code == "NOT_HOST"
    with pytest.raises(GameError) as no_song:
        await rooms.change_song(db, code, "alice", 999)
    assert no_song.value.code == "INVALID_PAYLOAD"
    assert (await rooms.get_room(db, code))["song"] == 3


async def test_quick_match_fills_the_oldest_match_room_then_opens_another(db: Database) -> None:
    codes = [(await rooms.quick_match(db, f"p{i}")).room["code"] for i in range(6)]
    assert codes[:4] == [codes[0]] * 4
    assert codes[4] == codes[5] != codes[0]
    assert (await rooms.quick_match(db, "p0")).room["code"] == codes[0]


async def test_joinable_rooms_lists_waiting_rooms_with_free_seats(db: Database) -> None:
    open_room = await room_with(db, "a", "b")
    await room_with(db, "c", "d", "e", "f")
    listed = await rooms.joinable_rooms(db)
    assert [(r["code"], r["playerCount"]) for r in listed] == [(open_room, 2)]


async def test_twenty_simultaneous_joins_for_the_last_seat_let_exactly_one_in(db: Database) -> None:
    code = await room_with(db, "a", "b", "c")
    results = await asyncio.gather(
        *(rooms.join_room(db, code, f"racer{i}") for i in range(20)), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, rooms.Seat)]
    losers = [r for r in results if isinstance(r, GameError)]
    assert len(winners) == 1 and len(losers) == 19
    assert {error.code for error in losers} == {"ROOM_FULL"}
    assert len((await rooms.get_room(db, code))["players"]) == 4


async def test_twenty_simultaneous_quick_matches_never_overfill_a_room(db: Database) -> None:
    await asyncio.gather(*(rooms.quick_match(db, f"m{i}") for i in range(20)))
    sizes = [len(room["players"]) async for room in db.rooms.find({})]
    assert sum(sizes) == 20
    assert max(sizes) <= 4


async def test_chat_is_saved_for_members_only_and_history_is_oldest_first(db: Database) -> None:
    code = await room_with(db, "alice", "bob")
    first = await chat.save_message(db, code, me("alice"), "hello")
    await chat.save_message(db, code, me("bob"), "안녕 🎵")
    assert set(first) == {"_id", "chat", "user", "chatroom", "createdAt"}
    assert first["user"] == {"id": "id-alice", "nickname": "alice"}
    with pytest.raises(GameError) as stranger:
        await chat.save_message(db, code, me("mallory"), "hi")
    assert stranger.value.code == "NOT_IN_ROOM"
    history = await chat.recent_messages(db, code)
    assert [m["chat"] for m in history] == ["hello", "안녕 🎵"]
