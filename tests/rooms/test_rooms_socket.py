"""Rooms and chat through real python-socketio clients, over WebSocket and over long-polling."""

from __future__ import annotations

from game_backend.storage.database import Database
from game_backend.testing import Player, Players, rest


async def create_room(players: Players, host: Player) -> str:
    status, room = await rest(players.base_url, "POST", "/api/rooms/create", host.token, {"type": "codeGame"})
    assert status == 201, room
    ack = await host.call("joinRoom", {"nickname": host.nickname, "code": room["code"]})
    assert ack["ok"] is True, ack
    return room["code"]


async def seat(player: Player, code: str) -> dict:
    ack = await player.call("joinRoom", {"nickname": player.nickname, "code": code})
    assert ack["ok"] is True, ack
    return ack


def nicknames(args: tuple) -> list[str]:
    return [p["nickname"] for p in args[0]]


async def test_up_to_four_players_see_each_other_join(players: Players, server_db: Database) -> None:
    host = await players.join("host")
    code = await create_room(players, host)
    others = [await players.join(f"guest{i}") for i in range(3)]
    for count, player in enumerate(others, start=2):
        ack = await seat(player, code)
        assert [p["nickname"] for p in ack["room"]["players"]] == ["host"] + [o.nickname for o in others[: count - 1]]
        for watcher in [host, *others[:count - 1]]:
            await watcher.wait_for(f"players{code}", lambda args, n=count: len(args[0]) == n)
            await watcher.wait_for("allReady", lambda args: args == (False,))
    room = await server_db.rooms.find_one({"code": code})
    assert [p["nickname"] for p in room["players"]] == ["host", "guest0", "guest1", "guest2"]


async def test_ready_toggles_and_all_ready_transitions(players: Players) -> None:
    host, bob, carol = [await players.join(n) for n in ("host", "bob", "carol")]
    code = await create_room(players, host)
    await seat(bob, code)
    await seat(carol, code)
    ack = await bob.call("ready")
    assert ack == {"ok": True, "isReady": True, "allReady": False}
    await host.wait_for("readyStatus", lambda a: a[0] == {"nickname": "bob", "isReady": True})
    ack = await carol.call("ready")
    assert ack["allReady"] is True
    for player in (host, bob, carol):
        await player.wait_for("allReady", lambda a: a == (True,))
    ack = await bob.call("ready")
    assert ack == {"ok": True, "isReady": False, "allReady": False}
    await host.wait_for("readyStatus", lambda a: a[0] == {"nickname": "bob", "isReady": False})
    assert host.last("allReady") == (False,)


async def test_chat_reaches_the_room_only_and_is_stored(players: Players, server_db: Database) -> None:
    host, bob, outsider = [await players.join(n) for n in ("host", "bob", "outsider")]
    code = await create_room(players, host)
    await seat(bob, code)
    other_room = await create_room(players, outsider)
    ack = await bob.call("sendMessage", "안녕하세요 🎶 hello")
    assert ack["ok"] is True
    for player in (host, bob):
        args = await player.wait_for("message")
        message = args[0]
        assert message["chat"] == "안녕하세요 🎶 hello"
        assert message["user"]["nickname"] == "bob" and message["chatroom"] == code
        assert set(message) == {"_id", "chat", "user", "chatroom", "createdAt"}
    await outsider.settle()
    assert "message" not in outsider.events
    stored = await server_db.messages.find({}).to_list(None)
    assert [(m["chat"], m["chatroom"]) for m in stored] == [("안녕하세요 🎶 hello", code)]
    assert other_room != code
    newcomer = await players.join("newcomer")
    history = (await seat(newcomer, code))["messages"]
    assert [m["chat"] for m in history] == ["안녕하세요 🎶 hello"]


async def test_instrument_and_song_changes_reach_the_room(players: Players, server_db: Database) -> None:
    host, bob = await players.join("host"), await players.join("bob")
    code = await create_room(players, host)
    await seat(bob, code)
    assert (await bob.call("changeInstrument", {"roomCode": code, "instrument": "drum"}))["ok"]
    await host.wait_for("instChanged", lambda a: a[0] == {"nickname": "bob", "instrument": "drum"})
    ack = await host.call("changeSong", {"roomCode": code, "song": {"number": 4, "title": "whatever"}})
    assert ack["ok"] and ack["song"]["number"] == 4
    args = await bob.wait_for("songChanged")
    assert args[0]["number"] == 4 and args[0]["title"]
    assert (await server_db.rooms.find_one({"code": code}))["song"] == 4


async def test_host_leaving_names_the_next_host_and_the_last_leaving_deletes_the_room(
    players: Players, server_db: Database
) -> None:
    host, bob, carol = [await players.join(n) for n in ("host", "bob", "carol")]
    code = await create_room(players, host)
    await seat(bob, code)
    await seat(carol, code)
    assert await host.call("leaveRoom", code) == {"ok": True}
    for player in (bob, carol):
        assert (await player.wait_for("hostChanged")) == ("bob",)
        assert nicknames(await player.wait_for(f"leftRoom{code}")) == ["bob", "carol"]
    room = await server_db.rooms.find_one({"code": code})
    assert room["hostName"] == "bob" and room["players"][0]["isReady"] is True
    assert (await carol.call("leaveRoom", code))["ok"]
    assert nicknames(await bob.wait_for(f"leftRoom{code}", lambda a: len(a[0]) == 1)) == ["bob"]
    assert (await bob.call("leaveRoom", code))["ok"]
    assert await server_db.rooms.find_one({"code": code}) is None


async def test_login_is_accepted_for_ones_own_nickname_only(players: Players) -> None:
    alice = await players.join("alice")
    assert await alice.call("login", "alice") == {"ok": True, "nickname": "alice"}
    await alice.wait_for("userStatus", lambda a: a[0] == {"nickname": "alice", "online": True})
    refused = await alice.call("login", "bob")
    assert refused["ok"] is False and refused["code"] == "FORBIDDEN"


async def test_a_room_event_reaches_only_that_rooms_members(players: Players) -> None:
    one, two = await players.join("one"), await players.join("two")
    code_one = await create_room(players, one)
    await create_room(players, two)
    joiner = await players.join("joiner")
    await seat(joiner, code_one)
    await one.wait_for(f"players{code_one}", lambda a: len(a[0]) == 2)
    await two.settle()
    assert f"players{code_one}" not in two.events
