"""When a press may claim to have happened, and how a round keeps its presses (one integer each)."""

from __future__ import annotations

MOTIONS = ("A", "B")  # the motions a chart's notes have
FUTURE_TOLERANCE_MS = 250  # a synchronized clock may run this far ahead of the server's
LATE_LIMIT_MS = 5000  # a press older than this, by the server's clock, is refused


def time_problem(at: int, elapsed_ms: float, ends_at: int) -> str | None:
    """Why a press claiming `at` (ms from the round's start) is refused `elapsed_ms` into the round, or None."""
    if at < 0:
        return "the press is before the round's start"
    if at > ends_at:
        return "the press is after the song's end"
    if at > elapsed_ms + FUTURE_TOLERANCE_MS:
        return f"the press claims a time {at - elapsed_ms:.0f} ms ahead of the server's clock: sync your clock"
    if at < elapsed_ms - LATE_LIMIT_MS:
        return f"the press is {elapsed_ms - at:.0f} ms old: presses are taken up to {LATE_LIMIT_MS} ms late"
    return None


def pack(at: int, motion: str | None) -> int:
    """A press as one integer: its time times 4, plus 0 without a motion, 1 for A, 2 for B."""
    return at * 4 + (0 if motion is None else MOTIONS.index(motion) + 1)


def unpack(packed: int) -> tuple[int, str | None]:
    at, code = divmod(packed, 4)
    return at, None if code == 0 else MOTIONS[code - 1]
