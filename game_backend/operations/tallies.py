"""What is counted per message, in plain integers added on the event loop's thread: every event (by name and ack
code, with its duration), room emits, delivered messages, Redis traffic.

Apart from metrics.py, which reads them when Prometheus scrapes, so that they are compiled with the hot path
(game_backend/compiled.py): a relayed `hit` is counted three times, and metrics.py's collectors extend
prometheus-client's classes, which a compiled class cannot.
"""

from __future__ import annotations


class Tally:
    """A count only the event loop's thread adds to: no lock."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class EventCounts:
    """One event's counts: by ack code, by duration (how many took at most each bound, then more), and the sum of
    the durations."""

    __slots__ = ("codes", "buckets", "seconds")

    def __init__(self, buckets: int) -> None:
        self.codes: dict[str, int] = {}
        self.buckets = [0] * buckets
        self.seconds = 0.0


class EventTally:
    """Each event by name and ack code, and how long each took, in `bounds` (seconds, ascending) and above."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.events: dict[str, EventCounts] = {}

    def add(self, event: str, code: str, seconds: float) -> None:
        counts = self.events.get(event)
        if counts is None:
            counts = self.events[event] = EventCounts(len(self.bounds) + 1)
        codes = counts.codes
        codes[code] = codes.get(code, 0) + 1
        bucket = 0
        for bound in self.bounds:  # from the shortest: most events end in the first bucket or two
            if seconds <= bound:
                break
            bucket += 1
        counts.buckets[bucket] += 1
        counts.seconds += seconds
