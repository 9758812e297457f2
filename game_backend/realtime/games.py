"""Socket.IO events of a round: startGame, playerLoaded, hit, gameEnded.

`hit` is the hot path (dozens a second per player): it is checked against what
the connection already knows (its nickname, its room, the round it loaded
into) and relayed, with no database round trip. Motion Beat clients send `hit`
and `playerLoaded` without a callback; an ack is still answered when one is given.
"""

from __future__ import annotations

from ..controllers import games
from ..errors import GameError
from ..validation import CodeBody, GameEnded, Hit, PlayerLoaded
from . import announce
from .router import Ack, EventContext, EventRouter

router = EventRouter()
OK: Ack = {"ok": True}


def _own_room(ctx: EventContext, nickname: str, code: str) -> str:
    """The payload acts as the connection's own player, in the room the connection is in."""
    ctx.connection.require_self(nickname)
    if ctx.connection.room != code:
        raise GameError("NOT_IN_ROOM", f"you are not in room {code}: join it first")
    return code


@router.event("startGame", CodeBody)
async def start_game(ctx: EventContext, payload: CodeBody) -> Ack:
    game = await games.start_game(ctx.db, payload.code, ctx.nickname, ctx.settings.start_lead_seconds)
    await announce.game_started(ctx.sio, game)
    return {"ok": True, "game": game}


@router.event("playerLoaded", PlayerLoaded)
async def player_loaded(ctx: EventContext, payload: PlayerLoaded) -> Ack:
    code = _own_room(ctx, payload.nickname, payload.code)
    change = await games.player_loaded(ctx.db, code, ctx.nickname)
    ctx.connection.playing = code
    await announce.round_change(ctx.sio, change)
    return OK


@router.event("hit", Hit, hits=True, inline=True)
async def hit(ctx: EventContext, payload: Hit) -> Ack:
    code = _own_room(ctx, payload.nickname, payload.code)
    if ctx.connection.playing != code:
        raise GameError("NOT_PLAYING", f"room {code} is not playing a round you loaded into")
    await ctx.sio.emit(
        f"liveScore{ctx.nickname}",
        (payload.currentScore, payload.combo, payload.instrument, payload.motionType),
        room=code,
        skip_sid=ctx.sid,
    )
    return OK


@router.event("gameEnded", GameEnded)
async def game_ended(ctx: EventContext, payload: GameEnded) -> Ack:
    code = _own_room(ctx, payload.nickname, payload.code)
    change = await games.game_ended(ctx.db, code, ctx.nickname, payload.score)
    ctx.connection.playing = None
    await announce.round_change(ctx.sio, change)
    return OK
