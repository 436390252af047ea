"""Figures the benchmarks share."""

from __future__ import annotations


def percentile(samples: list[float], pct: float) -> float:
    """The nearest-rank percentile (`pct` of 100) of `samples`; NaN when there are none."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]
