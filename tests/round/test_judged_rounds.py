"""Rounds the server judges: presses scored against the chart, clocks synced, and clients that cheat.

Every round here plays song 6 (hard, 140 bpm): its lead part, which a player
with no charted instrument plays, has notes at 3000, 3429, 4286, 4714, 5143
and 6000 ms. A round takes a few seconds of real time, because a press may not
claim a moment the server's clock has not reached. The scores are recomputed
from the replay route with this file's own judge, written from the table in
docs/protocol.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from game_backend.storage.database import Database
from game_backend.testing import Player, Players, rest
from game_backend.testing.players import guest_token

SONG = 6
HONEST_SCORES = [300, 610, 930, 1260, 1600, 1950]  # after each of the first notes hit Perfect, in a combo


@pytest.fixture
async def group(server: str) -> AsyncIterator[Players]:
    players = Players(server)
    yield players
    await players.close()


@dataclass
class Round:
    code: str
    game_id: str
    start_time: int
    players: list[Player]
    part: list[dict[str, Any]]  # the lead part, `{time, motion}`: every player here plays it

    @property
    def notes(self) -> list[int]:
        return [note["time"] for note in self.part]


async def play(group: Players, *nicknames: str, sync: bool = True) -> Round:
    """A round of song 6 under way: everyone seated, ready, loaded (and their clocks synced)."""
    everyone = [await group.join(name) for name in nicknames]
    host = everyone[0]
    status, room = await rest(group.base_url, "POST", "/api/rooms/create", host.token, {})
    assert status == 201, room
    code = room["code"]
    for player in everyone:
        await player.act("joinRoom", {"nickname": player.nickname, "code": code})
    await host.act("changeSong", {"roomCode": code, "song": SONG})
    for player in everyone[1:]:
        await player.act("ready")
    return await start_round(everyone, code, sync=sync)


async def start_round(everyone: list[Player], code: str, *, sync: bool = True) -> Round:
    loaded = f"allPlayersLoaded{code}"
    rounds_before = len(everyone[0].events[loaded])
    game = (await everyone[0].act("startGame", {"code": code}))["game"]
    parts = [await player.load(code) for player in everyone]
    if sync:
        for player in everyone:
            await player.sync_clock()
    await everyone[0].wait_for(loaded, lambda _: len(everyone[0].events[loaded]) > rounds_before)
    assert all(part == parts[0] for part in parts)
    return Round(code, game["id"], everyone[0].events[loaded][-1][0], everyone, parts[0])


async def end(player: Player, code: str, score: Any = 999_999) -> dict[str, Any]:
    return await player.call("gameEnded", {"nickname": player.nickname, "code": code, "score": score})


def rejudge(replayed: dict[str, Any]) -> int:
    """The score of one player of a replay, judged again from the documented table (not the server's code)."""
    table = replayed["table"]
    notes = replayed["player"]["notes"]
    judged = [False] * len(notes)
    score = combo = 0
    for press in replayed["player"]["presses"]:
        at = press["at"]
        for index, note in enumerate(notes):  # notes whose window closed before the press went by: misses
            if not judged[index] and note["time"] < at - table["goodMs"]:
                judged[index] = True
                combo = 0
        waiting = [i for i, note in enumerate(notes) if not judged[i]]
        first = waiting[0] if waiting else None
        if first is None or abs(notes[first]["time"] - at) > table["goodMs"] or press.get("motion") not in (
                None, notes[first]["motion"]):
            combo = 0
            continue
        judged[first] = True
        combo += 1
        kind = "perfect" if abs(notes[first]["time"] - at) <= table["perfectMs"] else "good"
        score += table["points"][kind] + table["comboBonus"] * min(combo - 1, table["comboBonusCap"])
    return score


async def replay_of(base_url: str, game_id: str) -> dict[str, Any]:
    status, body = await rest(base_url, "GET", f"/api/games/{game_id}/replay")
    assert status == 200, body
    return body


async def test_a_round_is_scored_by_the_server_from_the_presses(group: Players, server_db: Database) -> None:
    played = await play(group, "ann", "bob")
    ann, bob = played.players
    code, start = played.code, played.start_time
    acks = [await ann.press_on(code, start, time) for time in played.notes[:4]]
    assert [(ack["judgement"], ack["score"], ack["combo"]) for ack in acks] == [
        ("perfect", score, combo) for combo, score in enumerate(HONEST_SCORES[:4], start=1)]
    await bob.wait_for(f"liveScore{ann.nickname}", lambda args: args[0] == 1260)
    assert bob.events[f"liveScore{ann.nickname}"] == [
        (score, combo, "select", "perfect") for combo, score in enumerate(HONEST_SCORES[:4], start=1)]
    # Once a player presses, a score their client reports is not believed: the server's is relayed instead.
    forged = {"code": code, "nickname": "ann", "currentScore": 99_999, "combo": 99, "instrument": "select",
              "motionType": "forged"}
    assert await ann.call("hit", forged) == {"ok": True}
    assert await bob.wait_for(f"liveScore{ann.nickname}", lambda args: args[3] == "forged") == (
        1260, 4, "select", "forged")

    # bob reports his own score: a combo the chart does not allow yet is cut to what it allows.
    allowed = sum(1 for time in played.notes if time <= bob.server_now() - start + 2000)
    assert await bob.call("hit", {**forged, "nickname": "bob", "currentScore": 1, "combo": 99}) == {"ok": True}
    relayed = await ann.wait_for("liveScorebob")
    assert relayed[0] == 1 and allowed <= relayed[1] <= allowed + 1
    # A judged player's final score is the server's, whatever the client sends.
    assert await end(ann, code, 999_999) == {"ok": True}
    # bob only reports a score (as Motion Beat's client does): it must be one the chart allows.
    refused = await end(bob, code, 999_999)
    assert (refused["ok"], refused["code"]) == (False, "SCORE_IMPOSSIBLE")
    assert (await server_db.games.find_one({"code": code}))["gameState"] == "playing"  # nothing changed
    assert await end(bob, code, 2) == {"ok": True}
    result = (await ann.wait_for(f"allPlayersEnded{code}"))[0]
    assert result["players"] == [
        {"nickname": "ann", "instrument": "select", "score": 1260, "judged": True},
        {"nickname": "bob", "instrument": "select", "score": 2, "judged": False},
    ]
    assert result["judged"] is False and result["gameId"] == played.game_id

    status, every = await rest(group.base_url, "GET", f"/api/rankings/{SONG}")
    assert [entry["totalScore"] for entry in every] == [1262]
    status, judged = await rest(group.base_url, "GET", f"/api/rankings/{SONG}?judged=true")
    assert (status, judged) == (200, [])

    replay = await replay_of(group.base_url, played.game_id)
    assert replay["song"] == SONG and replay["startTime"] == start
    players = {player["nickname"]: player for player in replay["players"]}
    assert [press["at"] for press in players["ann"]["presses"]] == [
        pytest.approx(time, abs=60) for time in played.notes[:4]]
    assert players["bob"]["presses"] == []
    for name, score in (("ann", 1260), ("bob", 0)):
        assert rejudge({"table": replay["judge"], "player": players[name]}) == score
    for path, expected in [(f"/api/games/{'0' * 24}/replay", 404), ("/api/games/nonsense/replay", 404)]:
        status, body = await rest(group.base_url, "GET", path)
        assert (status, body["code"]) == (expected, "NOT_FOUND")


async def test_cheats_end_at_or_below_an_honest_score(group: Players, server_db: Database) -> None:
    played = await play(group, "honest", "mash", "flood", "mallory")
    honest, mash, flood, mallory = played.players
    code, start, notes = played.code, played.start_time, played.notes
    last = notes[5] + 200

    async def honestly() -> None:
        for time in notes[:6]:
            assert (await honest.press_on(code, start, time))["judgement"] == "perfect"

    async def every_150_ms() -> None:
        """Presses every 150 ms without looking at the lane: every note is in reach of one, but most presses
        meet no note."""
        for at in range(notes[0] - 150, last, 150):
            await mash.press_on(code, start, at)

    async def every_millisecond() -> None:
        """A press for every millisecond, sent as soon as each moment comes (no ack awaited)."""
        at = notes[0] - 200
        while at < last:
            await asyncio.sleep(max(0.0, (start + at - flood.server_now()) / 1000))
            due = int(flood.server_now() - start)
            for moment in range(at, min(due, last) + 1):
                await flood.emit("press", {"code": code, "at": moment})
            at = max(due, at) + 1

    async def tricks() -> list[tuple[str, Any]]:
        seen: list[tuple[str, Any]] = []

        async def press(why: str, **fields: Any) -> None:
            ack = await mallory.press(code, start, **fields)
            seen.append((why, ack.get("judgement") or ack.get("code")))

        await press("before the start", at=-100)
        await press("far ahead of the server's clock", at=notes[3])
        await press("another player's instrument", instrument="drum4")
        first = await mallory.press_on(code, start, notes[0])
        seen.append(("on the first note", first["judgement"]))
        await press("the same press again", at=notes[0])
        wrong = "A" if played.part[1]["motion"] == "B" else "B"
        second = await mallory.press_on(code, start, notes[1], motion=wrong)
        seen.append(("a motion the note does not have", second["judgement"]))
        return seen

    results = await asyncio.gather(honestly(), every_150_ms(), every_millisecond(), tricks())
    assert results[3] == [
        ("before the start", "PRESS_OUT_OF_TIME"),
        ("far ahead of the server's clock", "PRESS_OUT_OF_TIME"),
        ("another player's instrument", "NOT_YOUR_INSTRUMENT"),
        ("on the first note", "perfect"),
        ("the same press again", "miss"),  # a note is hit once
        ("a motion the note does not have", "miss"),
    ]
    long_ago = await mallory.press(code, start, at=100)  # more than 5 s old by now
    assert (long_ago["ok"], long_ago["code"]) == (False, "PRESS_OUT_OF_TIME")

    for player in played.players:
        assert await end(player, code) == {"ok": True}
    result = (await honest.wait_for(f"allPlayersEnded{code}"))[0]
    scores = {player["nickname"]: player["score"] for player in result["players"]}
    assert scores["honest"] == HONEST_SCORES[5]
    assert all(player["judged"] for player in result["players"]) and result["judged"] is True
    for cheat in ("mash", "flood", "mallory"):
        assert scores[cheat] < scores["honest"], scores
    after = await mallory.press(code, start, at=notes[5])
    assert (after["ok"], after["code"]) == (False, "NOT_PLAYING")  # the round is over for mallory

    # Each saved score is what the replay gives when judged again.
    replay = await replay_of(group.base_url, played.game_id)
    for player in replay["players"]:
        assert rejudge({"table": replay["judge"], "player": player}) == scores[player["nickname"]]

    # The next round: presses replayed from the last one are refused (they claim moments not reached yet).
    for player in played.players[1:]:
        await player.act("ready")
    again = await start_round(played.players, code)
    pressed = [press["at"] for press in next(p for p in replay["players"] if p["nickname"] == "honest")["presses"]]
    for at in pressed:
        ack = await honest.press(code, again.start_time, at=at)
        assert (ack["ok"], ack["code"]) == (False, "PRESS_OUT_OF_TIME")


class FarPlayer(Player):
    """A player 200 ms away (each way) whose clock runs 5 s ahead of the server's."""

    AWAY = 0.2
    AHEAD_MS = 5000

    def clock(self) -> float:
        return super().clock() + self.AHEAD_MS

    async def call(self, event: str, *args: Any, timeout: float = 5.0) -> Any:
        await asyncio.sleep(self.AWAY)
        ack = await super().call(event, *args, timeout=timeout)
        await asyncio.sleep(self.AWAY)
        return ack


async def test_a_far_player_with_a_wrong_clock_is_judged_as_fairly_as_a_near_one(group: Players) -> None:
    near = await group.join("near")
    far = FarPlayer("far", await guest_token(group.base_url, "far"))
    await far.connect(group.base_url)
    group.all.append(far)
    status, room = await rest(group.base_url, "POST", "/api/rooms/create", near.token, {})
    code = room["code"]
    for player in (near, far):
        await player.act("joinRoom", {"nickname": player.nickname, "code": code})
    await near.act("changeSong", {"roomCode": code, "song": SONG})
    await far.act("ready")
    played = await start_round([near, far], code, sync=False)
    unsynced = await far.press(code, played.start_time, at=far.clock() - played.start_time)
    assert (unsynced["ok"], unsynced["code"]) == (False, "PRESS_OUT_OF_TIME")  # 5 s "ahead" of the server
    for player in (near, far):
        await player.sync_clock()
    assert far.clock_offset == pytest.approx(-FarPlayer.AHEAD_MS, abs=40)
    acks = await asyncio.gather(*(
        asyncio.gather(*(player.press_on(code, played.start_time, time) for time in played.notes[:3]))
        for player in (near, far)))
    assert [ack["judgement"] for each in acks for ack in each] == ["perfect"] * 6
    for player in (near, far):
        assert await end(player, code) == {"ok": True}
    result = (await near.wait_for(f"allPlayersEnded{code}"))[0]
    assert [player["score"] for player in result["players"]] == [HONEST_SCORES[2]] * 2


async def test_a_player_who_comes_back_goes_on_from_the_saved_presses(group: Players) -> None:
    played = await play(group, "ann", "bob")
    ann, bob = played.players
    code, start = played.code, played.start_time
    for time in played.notes[:2]:
        assert (await ann.press_on(code, start, time))["judgement"] == "perfect"
    await ann.client.disconnect()  # its presses are saved as it goes
    await ann.connect(group.base_url)
    await ann.act("joinRoom", {"nickname": "ann", "code": code})
    await ann.load(code)
    third = await ann.press_on(code, start, played.notes[2])
    assert (third["judgement"], third["score"], third["combo"]) == ("perfect", HONEST_SCORES[2], 3)
    for player in (ann, bob):
        assert await end(player, code, 0) == {"ok": True}
    result = (await bob.wait_for(f"allPlayersEnded{code}"))[0]
    assert result["players"][0]["score"] == HONEST_SCORES[2]


async def test_a_player_on_two_connections_is_scored_as_the_replay_gives(group: Players) -> None:
    """Each connection judges its own presses at once; the round's score is judged from all of them, as saved."""
    played = await play(group, "ann", "bob")
    ann, bob = played.players
    code, start, notes = played.code, played.start_time, played.notes
    twin = Player("ann", ann.token)  # ann again, in a second tab
    await twin.connect(group.base_url)
    group.all.append(twin)
    await twin.act("joinRoom", {"nickname": "ann", "code": code})
    await twin.load(code)
    await twin.sync_clock()
    assert (await ann.press_on(code, start, notes[0]))["judgement"] == "perfect"
    assert (await twin.press(code, start, at=notes[0]))["judgement"] == "perfect"  # the twin's judge did not see it
    assert (await twin.press_on(code, start, notes[1]))["judgement"] == "perfect"
    await asyncio.sleep(1.5)  # every press saved
    for player in (ann, bob):
        assert await end(player, code, 0) == {"ok": True}
    result = (await bob.wait_for(f"allPlayersEnded{code}"))[0]
    replay = await replay_of(group.base_url, played.game_id)
    saved = next(player for player in replay["players"] if player["nickname"] == "ann")
    assert len(saved["presses"]) == 3
    # 600 when ann's press was saved first (the twin's is then a miss), 610 when the twin's two were (a combo).
    assert result["players"][0]["score"] == rejudge({"table": replay["judge"], "player": saved}) in (600, 610)
