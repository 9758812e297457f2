"""What is counted per message, in plain integers added on the event loop's thread: every event (by name and ack
code, with its duration), room emits, delivered messages, Redis traffic.

Apart from metrics.py, which reads them when Prometheus scrapes, so that they are compiled with the hot path
(game_backend/compiled.py): a relayed `hit` is counted three times, and metrics.py's collectors extend
prometheus-client's classes, which a compiled class cannot.
"""

from __future__ import annotations

from bisect import bisect_left


class Tally:
    """A count only the event loop's thread adds to: no lock."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class EventTally:
    """Each event by name and ack code, and how long each took, in `bounds` (seconds, ascending) and above."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts: dict[tuple[str, str], int] = {}
        self.buckets: dict[str, list[int]] = {}  # per event: how many took at most each bound, then more
        self.seconds: dict[str, float] = {}

    def add(self, event: str, code: str, seconds: float) -> None:
        key = (event, code)
        self.counts[key] = self.counts.get(key, 0) + 1
        buckets = self.buckets.get(event)
        if buckets is None:
            buckets = self.buckets[event] = [0] * (len(self.bounds) + 1)
        buckets[bisect_left(self.bounds, seconds)] += 1
        self.seconds[event] = self.seconds.get(event, 0.0) + seconds
