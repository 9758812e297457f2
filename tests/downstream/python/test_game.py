"""A brand-new project's own tests against game_backend installed from its wheel: the fixtures come with it."""


async def test_two_players_chat(room):
    ann, bob = (await room("ann", "bob")).players
    await ann.act("sendMessage", "hello bob")
    message = await bob.expect("message")
    assert (message["chat"], message["user"]["nickname"]) == ("hello bob", "ann")


async def test_a_round_the_server_judges(room):
    seated = await room("ann", "bob")
    ann, bob = seated.players
    code = seated.code
    await bob.act("ready")
    await ann.act("startGame", {"code": code})
    notes = [await player.load(code) for player in (ann, bob)][0]  # each player's part: the same here
    await ann.sync_clock()
    start_time = await ann.expect(f"allPlayersLoaded{code}")
    ack = await ann.press_on(code, start_time, notes[0]["time"])  # waits for the first note, then presses
    assert (ack["judgement"], ack["score"], ack["combo"]) == ("perfect", 300, 1)
    assert await bob.expect("liveScoreann") == (300, 1, "select", "perfect")
    for player in (ann, bob):
        await player.act("gameEnded", {"code": code, "nickname": player.nickname, "score": 0})
    result = await ann.expect(f"allPlayersEnded{code}")
    assert [(p["nickname"], p["score"], p["judged"]) for p in result["players"]] == [
        ("ann", 300, True), ("bob", 0, False)]


async def test_a_full_room_is_refused(room, players):
    seated = await room(4)
    late = await players("late")
    ack = await late.call("joinRoom", {"nickname": "late", "code": seated.code})
    assert (ack["ok"], ack["code"]) == (False, "ROOM_FULL")
