"""Starting a round and leaving one, by socket event or REST route alike."""

from __future__ import annotations

import asyncio
from typing import Any

from .. import announce
from ..config import Settings
from ..controllers import games
from ..storage.database import Database
from ..transport.socketio.server import SocketServer

TUTORIAL_START_DELAY = 1.0  # seconds


async def start(sio: SocketServer, db: Database, settings: Settings, code: str, host: str) -> dict[str, Any]:
    """The host starts room `code`'s round; everyone hears `gameStarted<code>`. Returns the game.

    In a tutorial room it is heard a second later: Motion Beat's tutorial page listens for it only once the
    start has answered.
    """
    started = await games.start_game(db, code, host, settings.start_lead_seconds)
    if started.tutorial:
        asyncio.get_running_loop().call_later(
            TUTORIAL_START_DELAY, sio.start_background_task, announce.game_started, sio, started.game
        )
    else:
        await announce.game_started(sio, started.game)
    return started.game


async def leave(sio: SocketServer, db: Database, code: str, nickname: str) -> None:
    """The player leaves room `code`'s round, if they are in one; the others may start or end without them."""
    await announce.round_change(sio, await games.leave_round(db, code, nickname))
