"""Interval arithmetic over (start, end) seconds: merging, intersecting, measuring.

Shared by the conversation metrics (silence, overtalk) and by what was heard of the detected speech.
"""

from __future__ import annotations

from typing import Iterable, Sequence

Interval = tuple[float, float]


def merge_intervals(intervals: Iterable[Interval], lo: float = 0.0, hi: float = float("inf")) -> list[Interval]:
    """Clip to [lo, hi], drop empty ones, sort and join overlapping or touching intervals."""
    out: list[list[float]] = []
    for s, e in sorted((float(max(s, lo)), float(min(e, hi))) for s, e in intervals):  # numpy scalars too
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def total(intervals: Sequence[Interval]) -> float:
    return sum((e - s for s, e in intervals), 0.0)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Where both merged lists cover the time (two-pointer sweep)."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def gaps(intervals: Sequence[Interval]) -> list[Interval]:
    """The silent stretches between consecutive merged intervals."""
    return [(prev[1], nxt[0]) for prev, nxt in zip(intervals, intervals[1:])]
