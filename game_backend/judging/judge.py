"""A player's presses, judged against their part of the song's chart.

The one table (docs/protocol.md prints it; the lobby page's lane.js plays by it):

    judgement  press within (ms of the note)  points
    perfect    70                             300
    good       150                            100
    miss       no note in reach               0, and the combo breaks

A hit also earns a combo bonus of 10 for each hit before it in the combo, at
most 200. Each note can be hit once: a press takes the earliest note still in
reach (and, when the press names a motion, only a note of that motion). A note
whose window closed before a press went by: a miss. The judge only ever moves
forward through the part, so a press costs constant work (amortised).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

PERFECT_MS = 70
GOOD_MS = 150
POINTS = {"perfect": 300, "good": 100, "miss": 0}
COMBO_BONUS = 10
COMBO_BONUS_CAP = 20  # hits before this one that still add to its bonus

TABLE = {
    "perfectMs": PERFECT_MS,
    "goodMs": GOOD_MS,
    "points": POINTS,
    "comboBonus": COMBO_BONUS,
    "comboBonusCap": COMBO_BONUS_CAP,
}  # the table as the replay route gives it

# A client that reports its own score (Motion Beat's) counts one point per note it hits, and may count a note
# from 540 ms before it is due; the rest of this lead allows for its clock running ahead of the server's.
REPORTED_LEAD_MS = 2000


@dataclass(frozen=True)
class Part:
    """A player's notes in time order (ms from the round's start), and when the song ends."""

    times: tuple[int, ...]
    motions: tuple[str, ...]
    ends_at: int

    @classmethod
    def of(cls, notes: Sequence[dict[str, Any]], instrument: str, ends_at: int) -> Part:
        """The notes of `instrument`; on a song that charts none for it, the song's lead part (its first
        note's instrument), so that any instrument name plays something."""
        own = [note for note in notes if note["instrument"] == instrument]
        if not own and notes:
            own = [note for note in notes if note["instrument"] == notes[0]["instrument"]]
        own.sort(key=lambda note: note["time"])
        return cls(tuple(note["time"] for note in own), tuple(note["motion"] for note in own), ends_at)

    def due_by(self, ms: float) -> int:
        """How many notes are due at or before `ms`."""
        return bisect_right(self.times, ms)

    def notes(self) -> list[dict[str, Any]]:
        return [{"time": time, "motion": motion} for time, motion in zip(self.times, self.motions, strict=True)]


@dataclass(frozen=True)
class Judgement:
    kind: str  # perfect, good or miss
    score: int  # the player's score after this press
    combo: int


@dataclass
class Judge:
    """The running judgement of one player's presses in one round."""

    part: Part
    score: int = 0
    combo: int = 0
    next: int = field(default=0, repr=False)  # the first note neither hit nor gone by

    def press(self, at: int, motion: str | None = None) -> Judgement:
        times = self.part.times
        while self.next < len(times) and times[self.next] < at - GOOD_MS:
            self.next += 1  # went by unplayed
            self.combo = 0
        if (
            self.next < len(times)
            and abs(times[self.next] - at) <= GOOD_MS
            and (motion is None or motion == self.part.motions[self.next])
        ):
            kind = "perfect" if abs(times[self.next] - at) <= PERFECT_MS else "good"
            self.next += 1
            self.combo += 1
            self.score += POINTS[kind] + COMBO_BONUS * min(self.combo - 1, COMBO_BONUS_CAP)
        else:
            kind = "miss"
            self.combo = 0
        return Judgement(kind, self.score, self.combo)

    def replay(self, presses: Iterable[tuple[int, str | None]]) -> Judge:
        for at, motion in presses:
            self.press(at, motion)
        return self


def reported_bound(part: Part, elapsed_ms: float) -> int:
    """The most a score-only client can honestly claim `elapsed_ms` into the round: one point per note due."""
    return part.due_by(elapsed_ms + REPORTED_LEAD_MS)
