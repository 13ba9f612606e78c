"""Pre-aggregated counters: one document per (metric, rollup, day, dimensions).

Every event adds to the base rollup and to one rollup per filter dimension (owner, source,
segment), so a filtered report reads a few hundred documents per day of its period, never
raw events. Day "" holds current-state counters ("contacts in each stage now").
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

NOW = ""
FILTERS = ("owner", "source", "segment")


@dataclass(frozen=True, order=True)
class Key:
    metric: str
    rollup: str  # "base" or the filter dimension this document also carries
    day: str
    dims: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        dims = "|".join(f"{k}={v}" for k, v in self.dims)
        return f"{self.metric}|{self.rollup}|{self.day}|{dims}"


class Deltas:
    """Counter increments collected while a batch is projected."""

    def __init__(self) -> None:
        self.values: Counter[Key] = Counter()

    def add(
        self,
        metric: str,
        day: str,
        dims: dict[str, str],
        n: int = 1,
        *,
        owner: str | None = None,
        source: str | None = None,
        segments: list[str] | None = None,
    ) -> None:
        if n == 0:
            return
        base = tuple(sorted(dims.items()))
        self.values[Key(metric, "base", day, base)] += n
        for name, value in (("owner", owner), ("source", source)):
            if value is not None:
                dims_with = tuple(sorted({**dims, name: value}.items()))
                self.values[Key(metric, name, day, dims_with)] += n
        for segment in segments or ():
            dims_with = tuple(sorted({**dims, "segment": segment}.items()))
            self.values[Key(metric, "segment", day, dims_with)] += n

    def nonzero(self) -> dict[Key, int]:
        return {k: v for k, v in sorted(self.values.items()) if v}


# -- durations as log-scale histograms (a median without keeping every sample) ---------------

BUCKETS_PER_DOUBLING = 4


def duration_bucket(seconds: float) -> str:
    """Quarter-doubling buckets: any median read back is within ~9% of the true one."""
    return str(math.floor(BUCKETS_PER_DOUBLING * math.log2(max(seconds, 1.0))))


def bucket_seconds(bucket: str) -> float:
    return float(2 ** ((int(bucket) + 0.5) / BUCKETS_PER_DOUBLING))


def histogram_median(counts: dict[str, int]) -> float | None:
    """The median of a duration histogram, in seconds."""
    total = sum(counts.values())
    if total <= 0:
        return None
    seen = 0
    for bucket in sorted(counts, key=int):
        seen += counts[bucket]
        if seen * 2 >= total:
            return bucket_seconds(bucket)
    return None


SCORE_BUCKET = 5


def score_bucket(score: float) -> str:
    return str(int(math.floor(score / SCORE_BUCKET) * SCORE_BUCKET))
