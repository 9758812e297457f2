"""Socket.IO events of a round: startGame, playerLoaded, hit, gameEnded.

`hit` is the hot path (dozens a second per player): it is checked against what
the connection already knows (its nickname, its room, the round it loaded
into) and relayed, with no database round trip. Motion Beat clients send `hit`
and `playerLoaded` without a callback; an ack is still answered when one is given.
"""

from __future__ import annotations

from .. import announce
from ..controllers import games
from ..errors import GameError
from ..validation import CodeBody, GameEnded, Hit, PlayerLoaded
from .router import Ack, EventContext, EventRouter

router = EventRouter()
OK: Ack = {"ok": True}


@router.event("startGame", CodeBody)
async def start_game(ctx: EventContext, payload: CodeBody) -> Ack:
    game = await games.start_game(ctx.db, payload.code, ctx.nickname, ctx.settings.start_lead_seconds)
    await announce.game_started(ctx.sio, game)
    return {"ok": True, "game": game}


@router.event("playerLoaded", PlayerLoaded)
async def player_loaded(ctx: EventContext, payload: PlayerLoaded) -> Ack:
    code = ctx.own_room(payload.nickname, payload.code)
    # Playing from now: another player's step may complete the stage and announce the start before this one's
    # database work returns, and the client's first hits follow that announcement at once.
    before, ctx.connection.playing = ctx.connection.playing, code
    try:
        change = await games.player_loaded(ctx.db, code, ctx.nickname)
    except BaseException:
        ctx.connection.playing = before
        raise
    await announce.round_change(ctx.sio, change)
    return OK


@router.event("hit", Hit, hits=True, inline=True)
async def hit(ctx: EventContext, payload: Hit) -> Ack:
    code = ctx.own_room(payload.nickname, payload.code)
    if ctx.connection.playing != code:
        raise GameError("NOT_PLAYING", f"room {code} is not playing a round you loaded into")
    score = (payload.currentScore, payload.combo, payload.instrument, payload.motionType)
    await announce.live_score(ctx.sio, code, ctx.nickname, score, ctx.sid)
    return OK


@router.event("gameEnded", GameEnded)
async def game_ended(ctx: EventContext, payload: GameEnded) -> Ack:
    code = ctx.own_room(payload.nickname, payload.code)
    change = await games.game_ended(ctx.db, code, ctx.nickname, payload.score)
    ctx.connection.playing = None
    await announce.round_change(ctx.sio, change)
    return OK
