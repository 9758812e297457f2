"""Starting a round and leaving one, by socket event or REST route alike."""

from __future__ import annotations

import asyncio
from typing import Any

from .. import announce
from ..controllers import games
from .world import World

TUTORIAL_START_DELAY = 1.0  # seconds


async def start(world: World, code: str, host: str) -> dict[str, Any]:
    """The host starts room `code`'s round; everyone hears `gameStarted<code>`. Returns the game.

    In a tutorial room it is heard a second later: Motion Beat's tutorial page listens for it only once the
    start has answered.
    """
    started = await games.start_game(world.db, code, host, world.settings.start_lead_seconds)
    sio = world.sio
    if started.tutorial:
        asyncio.get_running_loop().call_later(
            TUTORIAL_START_DELAY, sio.start_background_task, announce.game_started, sio, started.game
        )
    else:
        await announce.game_started(sio, started.game)
    return started.game


async def leave(world: World, code: str, nickname: str) -> None:
    """The player leaves room `code`'s round, if they are in one; the others may start or end without them."""
    await announce.round_change(world.sio, await games.leave_round(world.db, code, nickname))
