"""The round a connection plays: what `hit`, `press` and `gameEnded` check and judge without the database.

Loaded once at `playerLoaded` (games.player_round). The shared start time is
read when the first press or score needs it, if this process did not set it.
Judged presses are saved to the round in the background, a batch a second and
at the end, so that `press` never waits on the database; a player who comes
back on another connection (or process) resumes from what was saved.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..controllers import games
from ..errors import GameError
from ..judging import presses
from ..judging.judge import Judge, Judgement, reported_bound
from ..storage.database import Database
from ..storage.deadline import deadline, detached, is_outage

log = logging.getLogger(__name__)
SAVE_EVERY_SECONDS = 1.0


def now_ms() -> float:
    return time.time() * 1000


def score_impossible(score: int, bound: int) -> GameError:
    return GameError("SCORE_IMPOSSIBLE", f"a score of {score} is more than the chart allows so far ({bound})")


@dataclass
class PlayedRound:
    entry: games.PlayerRound
    nickname: str
    judge: Judge
    start_time: int | None
    judged: bool  # the player has pressed: their score is the server's
    unsaved: list[int] = field(default_factory=list)  # judged, not yet cut into a batch
    batches: list[tuple[str, list[int]]] = field(default_factory=list)  # cut, not known saved: (id, presses)
    saver: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def resume(cls, entry: games.PlayerRound, nickname: str) -> PlayedRound:
        """The round as saved so far: its presses judged again, so the score and combo go on from there."""
        return cls(entry, nickname, entry.replayed(), entry.start_time, judged=bool(entry.presses))

    @property
    def code(self) -> str:
        return self.entry.code

    @property
    def instrument(self) -> str:
        return self.entry.instrument

    async def started(self, database: Callable[[], Database], timeout: float) -> int | None:
        """The shared start time, read from the round the first time it is needed after everyone loaded."""
        if self.start_time is None:
            async with deadline(timeout):
                self.start_time = await games.start_time(database(), self.entry.game_id)
        return self.start_time

    def elapsed(self) -> float:
        """Milliseconds since the shared start, by the server's clock (negative before it)."""
        assert self.start_time is not None
        return now_ms() - self.start_time

    def reported_bound(self) -> int:
        """The most a score-only client may claim now (0 before the start time is known)."""
        return 0 if self.start_time is None else reported_bound(self.entry.part, self.elapsed())

    def press(self, at: int, motion: str | None, database: Callable[[], Database], timeout: float) -> Judgement:
        """Judge a press already checked in time; it is saved within SAVE_EVERY_SECONDS."""
        judgement = self.judge.press(at, motion)
        self.judged = True
        self.unsaved.append(presses.pack(at, motion))
        if self.saver is None:
            self.saver = detached(self._save_soon(database, timeout))
        return judgement

    async def _save_soon(self, database: Callable[[], Database], timeout: float) -> None:
        await asyncio.sleep(SAVE_EVERY_SECONDS)
        self.saver = None
        await self.save_if_possible(database(), timeout)

    async def save_if_possible(self, db: Database, timeout: float) -> None:
        """`save`, in the background: what the database cannot take stays unsaved, for the next save."""
        try:
            await self.save(db, timeout)
        except Exception as error:
            if not is_outage(error):
                log.exception("could not save %s's presses in room %s", self.nickname, self.code)

    async def save(self, db: Database, timeout: float) -> None:
        """Save every press not saved yet, a batch at a time, in order (one save at a time). A batch that failed
        keeps its id and is retried first, so a batch the database applied after all is not saved twice."""
        async with self.lock:
            if self.unsaved:
                self.batches.append((secrets.token_hex(8), self.unsaved))
                self.unsaved = []
            async with deadline(timeout):
                while self.batches:
                    batch_id, batch = self.batches[0]
                    await games.save_presses(db, self.entry.game_id, self.nickname, batch_id, batch)
                    del self.batches[0]

    def stop(self) -> None:
        if self.saver is not None:
            self.saver.cancel()
            self.saver = None
