"""Latency percentiles, from the generators' histograms or from plain lists of samples."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Latency:
        if not samples:
            return cls(0, math.inf, math.inf, math.inf, math.inf)
        ordered = sorted(samples)

        def rank(q: float) -> float:
            return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

        return cls(len(ordered), rank(0.50), rank(0.95), rank(0.99), ordered[-1])

    def as_dict(self) -> dict[str, float]:
        return {key: (round(value, 3) if isinstance(value, float) and math.isfinite(value) else value)
                for key, value in asdict(self).items()}


def merge_histograms(answers: list[dict[str, Any]]) -> tuple[float, Counter[int]]:
    """One histogram from every generator's `[bin, count]` pairs (all share the same bin width)."""
    merged: Counter[int] = Counter()
    width = answers[0]["binMs"]
    for answer in answers:
        for bin_index, count in answer["hist"]:
            merged[bin_index] += count
    return width, merged


def percentiles(histogram: tuple[float, Counter[int]]) -> Latency:
    """Percentiles of a histogram, each reported as its bin's upper edge (never optimistic)."""
    width, counts = histogram
    total = sum(counts.values())
    if total == 0:
        return Latency(0, math.inf, math.inf, math.inf, math.inf)
    ordered = sorted(counts.items())
    wanted = {q: math.ceil(q * total) for q in (0.50, 0.95, 0.99)}
    found: dict[float, float] = {}
    seen = 0
    for bin_index, count in ordered:
        seen += count
        for q, needed in wanted.items():
            if q not in found and seen >= needed:
                found[q] = (bin_index + 1) * width
    return Latency(total, found[0.50], found[0.95], found[0.99], (ordered[-1][0] + 1) * width)
