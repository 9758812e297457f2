"""What seating a player costs the database, counted by the server itself (game_request_database_commands_total).

Motion Beat's client seats a player over REST and then sends `joinRoom` on its
socket: that joinRoom finds the seat already taken and answers from two
indexed reads (the seat, the chat history). No seat change sends a
findAndModify, which the development database answers by scanning every room
(storage/updates.py): the cost of a seat must not grow with the rooms there are.
"""

from __future__ import annotations

from game_backend.testing import Players, rest

from ..operations.test_operations import samples, scrape, value


async def test_a_join_room_after_the_rest_join_costs_two_round_trips_and_nothing_scans(
    game_server: str, players: Players
) -> None:
    host, guest = await players.join("ann"), await players.join("bob")
    status, room = await rest(game_server, "POST", "/api/rooms/create", host.token, {})
    assert status == 201
    code = room["code"]
    status, _ = await rest(game_server, "PATCH", f"/api/rooms/join/{code}", guest.token)
    assert status == 200
    for player in (host, guest):
        ack = await player.call("joinRoom", {"nickname": player.nickname, "code": code})
        assert ack["ok"] is True and [p["nickname"] for p in ack["room"]["players"]] == ["ann", "bob"], ack
    found = samples((await scrape(game_server))[1])
    assert value(found, "game_events_total", event="joinRoom", code="ok") == 2
    assert value(found, "game_requests_total", moment="PATCH /api/rooms/join/{code}") == 1
    assert value(found, "game_requests_total", moment="connect") == 2
    assert value(found, "game_request_database_commands_total", moment="connect") >= 2
    assert value(found, "game_request_database_commands_total", moment="joinRoom") <= 2 * 2

    carol = await players.join("carol")  # seated by joinRoom alone: the seat is taken now, which writes
    ack = await carol.call("joinRoom", {"nickname": "carol", "code": code})
    assert ack["ok"] is True and len(ack["room"]["players"]) == 3
    after = samples((await scrape(game_server))[1])
    taken = (value(after, "game_request_database_commands_total", moment="joinRoom")
             - value(found, "game_request_database_commands_total", moment="joinRoom"))
    assert taken > 2, f"a seat taken by joinRoom counted {taken} commands: the counter misses the driver's"
    assert value(after, "game_database_operation_duration_seconds_count", operation="findAndModify") == 0

    for player in (guest, carol):  # a whole round, and leaving: no findAndModify either
        await player.act("ready")
    await host.act("startGame", {"code": code})
    for player in (host, guest, carol):
        await player.act("playerLoaded", {"nickname": player.nickname, "code": code})
    for player in (host, guest):
        await player.act("gameEnded", {"code": code, "nickname": player.nickname, "score": 0})
    await carol.act("leaveRoom", code)  # the last one who had not ended: the round ends without her
    await host.expect(f"allPlayersEnded{code}")
    found = samples((await scrape(game_server))[1])
    assert value(found, "game_events_total", event="gameEnded", code="ok") == 2
    assert value(found, "game_database_operation_duration_seconds_count", operation="findAndModify") == 0
