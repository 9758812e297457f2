"""The database is the authority for membership: a player's sockets follow the seat it records, however it was taken.

A seat taken or given up over REST moves the player's open sockets too, and a
disconnect gives up the seats the database says the player holds, not what a
process remembered.
"""

from __future__ import annotations

from game_backend.testing import Player, Players, rest, running_server

from ..dbstate import inspected


async def new_room(players: Players, host: Player) -> str:
    status, room = await rest(players.base_url, "POST", "/api/rooms/create", host.token, {})
    assert status == 201, room
    assert (await host.call("joinRoom", {"nickname": host.nickname, "code": room["code"]}))["ok"]
    return room["code"]


async def test_a_seat_taken_over_rest_moves_the_players_socket(players: Players) -> None:
    ann, bob, mover = await players.join("ann"), await players.join("bob"), await players.join("mover")
    first, second = await new_room(players, ann), await new_room(players, bob)
    assert (await mover.call("joinRoom", {"nickname": "mover", "code": first}))["ok"]

    status, _ = await rest(players.base_url, "PATCH", f"/api/rooms/join/{second}", mover.token)
    assert status == 200
    await ann.wait_for(f"leftRoom{first}")  # the room the mover left heard it
    # The mover's socket now follows the second room, and chats there...
    assert (await mover.call("sendMessage", "hello, second room"))["ok"]
    assert (await bob.wait_for("message"))[0]["chatroom"] == second
    # ...and no longer hears the first.
    assert (await ann.call("sendMessage", "only for the first room"))["ok"]
    await mover.settle()
    assert all(args[0]["chatroom"] == second for args in mover.events["message"])


async def test_a_rest_leave_stops_the_socket_following_the_room(players: Players) -> None:
    ann, bob = await players.join("ann"), await players.join("bob")
    code = await new_room(players, ann)
    assert (await bob.call("joinRoom", {"nickname": "bob", "code": code}))["ok"]
    status, _ = await rest(players.base_url, "PATCH", "/api/rooms/leave", bob.token, {"code": code})
    assert status == 200
    assert (await ann.call("sendMessage", "bob is gone"))["ok"]
    await bob.settle()
    assert "message" not in bob.events
    ack = await bob.call("sendMessage", "am I still here?")
    assert ack["ok"] is False and ack["code"] == "NOT_IN_ROOM"


async def test_a_disconnect_gives_up_the_seat_the_database_records(
    mongodb_uri: str, database_name: str, transport: str
) -> None:
    """Joined by socket, moved by REST, then gone: the seat given up is the one in the second room."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              reconnect_grace_seconds=0) as base_url, inspected(mongodb_uri, database_name) as db:
        players = Players(base_url, transport)
        try:
            ann, bob, mover = await players.join("ann"), await players.join("bob"), await players.join("mover")
            first, second = await new_room(players, ann), await new_room(players, bob)
            assert (await mover.call("joinRoom", {"nickname": "mover", "code": first}))["ok"]
            status, _ = await rest(base_url, "PATCH", f"/api/rooms/join/{second}", mover.token)
            assert status == 200
            await mover.client.disconnect()
            await bob.wait_for(f"leftRoom{second}")
            assert [p["nickname"] for p in (await db.rooms.find_one({"code": second}))["players"]] == ["bob"]
            assert [p["nickname"] for p in (await db.rooms.find_one({"code": first}))["players"]] == ["ann"]
        finally:
            await players.close()


async def test_the_old_of_two_connections_closing_keeps_the_seat(mongodb_uri: str, database_name: str) -> None:
    """A player is their connections: a new tab (or a client that reconnected before its old socket timed out)
    keeps the seat when the old connection closes, past the grace period too, and follows the room."""
    async with running_server(mongodb_uri=mongodb_uri, database_name=database_name,
                              reconnect_grace_seconds=0.3) as base_url, inspected(mongodb_uri, database_name) as db:
        players = Players(base_url, "websocket")
        try:
            ann, bob = await players.join("ann"), await players.join("bob")
            code = await new_room(players, ann)
            assert (await bob.call("joinRoom", {"nickname": "bob", "code": code}))["ok"]
            new_tab = Player("bob", bob.token)
            await new_tab.connect(base_url, "websocket")
            players.all.append(new_tab)
            assert (await new_tab.wait_for("seatRestored"))[0]["room"]["code"] == code
            await bob.client.disconnect()
            await ann.settle(1.2)  # four grace periods
            assert f"leftRoom{code}" not in ann.events
            room = await db.rooms.find_one({"code": code})
            assert [p["nickname"] for p in room["players"]] == ["ann", "bob"]
            assert all("leaveAt" not in p for p in room["players"])
            assert (await new_tab.call("sendMessage", "still seated"))["ok"]
            assert (await ann.wait_for("message"))[0]["chat"] == "still seated"
        finally:
            await players.close()
