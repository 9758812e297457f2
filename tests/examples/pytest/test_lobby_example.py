"""A project's own tests against game_backend, with the fixtures its pytest plugin gives (pip install
'game_backend-*.whl[testing]'): `game_server`, `players`, `room`. Run with `pytest` and nothing else to set up."""

from game_backend.testing import rest


async def test_two_players_chat_and_get_ready(room):
    seated = await room("ann", "bob")
    ann, bob = seated.players

    await ann.act("sendMessage", "hello bob")  # act: the ack must be {ok: true, ...}
    message = await bob.expect("message")
    assert message["chat"] == "hello bob" and message["user"]["nickname"] == "ann"

    ack = await bob.act("ready")
    assert ack["allReady"] is True
    assert await ann.expect("allReady", lambda everyone: everyone is True) is True


async def test_a_wrong_code_is_refused_with_a_reason(players):
    cid = await players("cid")
    ack = await cid.call("joinRoom", {"nickname": "cid", "code": "ZZZZZZ"})
    assert ack["ok"] is False and ack["code"] == "ROOM_NOT_FOUND"


async def test_a_rooms_players_over_rest(game_server, room):
    seated = await room(3)  # player1 (the host), player2, player3
    status, body = await rest(game_server, "GET", f"/api/rooms/playerinfo/{seated.code}", seated.host.token)
    assert status == 200 and [player["nickname"] for player in body] == ["player1", "player2", "player3"]
