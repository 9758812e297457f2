"""Socket.IO events of a round: startGame, clockSync, playerLoaded, press, hit, gameEnded.

`press` and `hit` are the hot path (dozens a second per player): they are
checked against what the connection already knows (its nickname, its room, the
round it loaded into: realtime/playing.py) and relayed with no database round
trip. A `press` is judged by the server (judging/judge.py); a `hit` reports the
client's own score, which must be within what the chart allows so far. Motion
Beat clients send `hit` and `playerLoaded` without a callback; an ack is still
answered when one is given.
"""

from __future__ import annotations

from .. import announce
from ..controllers import games
from ..errors import GameError, not_playing
from ..judging import presses
from ..moves import rounds
from ..validation import ClockSync, CodeBody, GameEnded, Hit, PlayerLoaded, Press
from .playing import PlayedRound, now_ms, score_impossible
from .router import Ack, EventContext, EventRouter

router = EventRouter()
OK: Ack = {"ok": True}


@router.event("startGame", CodeBody)
async def start_game(ctx: EventContext, payload: CodeBody) -> Ack:
    return {"ok": True, "game": await rounds.start(ctx.world, payload.code, ctx.nickname)}


@router.event("clockSync", ClockSync, inline=True)
async def clock_sync(ctx: EventContext, payload: ClockSync) -> Ack:
    """One sample of a clock sync: the client keeps the offset of its fastest round trip, as NTP does."""
    return {"ok": True, "clientTime": payload.clientTime, "serverTime": now_ms()}


@router.event("playerLoaded", PlayerLoaded)
async def player_loaded(ctx: EventContext, payload: PlayerLoaded) -> Ack:
    """The player is ready to play: the answer carries their part of the chart (`{time, motion}` notes)."""
    code = ctx.own_room(payload.nickname, payload.code)
    entry = await games.player_round(ctx.db, code, ctx.nickname)
    # Playing from now: another player's step may complete the stage and announce the start before this one's
    # database work returns, and the client's first presses follow that announcement at once.
    before = ctx.connection.playing
    if entry is not None and (before is None or before.entry.game_id != entry.game_id):
        ctx.connection.playing = PlayedRound.resume(entry, ctx.nickname)
    try:
        change = await games.player_loaded(ctx.db, code, ctx.nickname)
    except BaseException:
        ctx.connection.playing = before
        raise
    played = ctx.connection.playing
    if before is not None and before is not played:
        before.stop()
    if played is not None and change.start_time is not None:
        played.start_time = change.start_time
    await announce.round_change(ctx.sio, change)
    if played is None:
        return OK
    return {"ok": True, "part": {"instrument": played.instrument, "notes": played.entry.part.notes()}}


def _playing(ctx: EventContext, nickname: str, code: str) -> PlayedRound:
    code = ctx.own_room(nickname, code)
    played = ctx.connection.playing
    if played is None or played.code != code:
        raise GameError("NOT_PLAYING", f"room {code} is not playing a round you loaded into")
    return played


@router.event("press", Press, hits=True, inline=True)
async def press(ctx: EventContext, payload: Press) -> Ack:
    played = _playing(ctx, payload.nickname or ctx.nickname, payload.code)
    if payload.instrument is not None and payload.instrument != played.instrument:
        raise GameError("NOT_YOUR_INSTRUMENT", f"you play {played.instrument}, not {payload.instrument}")
    if await played.started(ctx.world.database, ctx.settings.database_timeout) is None:
        raise GameError("ROUND_NOT_STARTED", "the round starts once every player has loaded")
    at = round(payload.at)
    problem = presses.time_problem(at, played.elapsed(), played.entry.part.ends_at)
    if problem is not None:
        raise GameError("PRESS_OUT_OF_TIME", problem)
    judged = played.press(at, payload.motion, ctx.world.database, ctx.settings.database_timeout)
    announce.live_score(
        ctx.sio, played.code, ctx.nickname, (judged.score, judged.combo, played.instrument, judged.kind), ctx.sid
    )
    return {"ok": True, "judgement": judged.kind, "score": judged.score, "combo": judged.combo}


@router.event("hit", Hit, hits=True, inline=True)
async def hit(ctx: EventContext, payload: Hit) -> Ack:
    """A client's own score: relayed if the chart allows it so far; once the player presses, the server's."""
    played = _playing(ctx, payload.nickname, payload.code)
    if played.judged:
        score, combo = played.judge.score, played.judge.combo
    else:
        score, combo = payload.currentScore, payload.combo
        if score or combo:
            await played.started(ctx.world.database, ctx.settings.database_timeout)
            bound = played.reported_bound()
            if score > bound:
                raise score_impossible(score, bound)
            combo = min(combo, bound)  # shown live only: a combo the chart does not allow yet is cut, not refused
    announce.live_score(
        ctx.sio, played.code, ctx.nickname, (score, combo, payload.instrument, payload.motionType), ctx.sid
    )
    return OK


@router.event("gameEnded", GameEnded)
async def game_ended(ctx: EventContext, payload: GameEnded) -> Ack:
    """The player's round is over: a judged player's score is the server's (the one sent is ignored); a
    reported one must be within what the chart allows."""
    code = ctx.own_room(payload.nickname, payload.code)
    played = ctx.connection.playing
    if played is None or played.code != code:
        entry = await games.player_round(ctx.db, code, ctx.nickname)
        if entry is None:
            raise not_playing(code)
        played = PlayedRound.resume(entry, ctx.nickname)
    timeout = ctx.settings.database_timeout
    if played.judged:
        played.stop()
        await played.save(ctx.db, timeout)
        saved = await games.judged_score(ctx.db, code, ctx.nickname)  # a second connection's presses count too
        score, judged = (played.judge.score if saved is None else saved), True
    else:
        await played.started(ctx.world.database, timeout)
        bound = played.reported_bound()
        if payload.score > bound:
            raise score_impossible(payload.score, bound)
        score, judged = payload.score, False
    change = await games.game_ended(ctx.db, code, ctx.nickname, score, judged=judged)
    played.stop()
    ctx.connection.playing = None
    await announce.round_change(ctx.sio, change)
    return OK
