"""A brand-new project's own tests against game_backend installed from its wheel: the fixtures come with it."""


async def test_two_players_chat(room):
    ann, bob = (await room("ann", "bob")).players
    await ann.act("sendMessage", "hello bob")
    message = await bob.expect("message")
    assert (message["chat"], message["user"]["nickname"]) == ("hello bob", "ann")


async def test_a_round_with_live_scores(room):
    seated = await room("ann", "bob")
    ann, bob = seated.players
    code = seated.code
    await bob.act("ready")
    await ann.act("startGame", {"code": code})
    for player in (ann, bob):
        await player.act("playerLoaded", {"nickname": player.nickname, "code": code})
    await ann.expect(f"allPlayersLoaded{code}")
    await ann.act("hit", {"code": code, "nickname": "ann", "currentScore": 100, "combo": 1, "instrument": "drum1",
                          "motionType": "A"})
    assert await bob.expect("liveScoreann") == (100, 1, "drum1", "A")
    for player, score in ((ann, 100), (bob, 0)):
        await player.act("gameEnded", {"code": code, "nickname": player.nickname, "score": score})
    result = await ann.expect(f"allPlayersEnded{code}")
    assert [(p["nickname"], p["score"]) for p in result["players"]] == [("ann", 100), ("bob", 0)]


async def test_a_full_room_is_refused(room, players):
    seated = await room(4)
    late = await players("late")
    ack = await late.call("joinRoom", {"nickname": "late", "code": seated.code})
    assert (ack["ok"], ack["code"]) == (False, "ROOM_FULL")
