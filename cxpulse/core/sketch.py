"""A log-bucketed quantile sketch that can also *remove* samples.

Same idea as DDSketch: a positive value x lands in bucket ceil(log_gamma(x)),
and every value of a bucket is reported as the bucket's midpoint, so any quantile
is within ``RELATIVE_ACCURACY`` of a true sample. We keep our own because the
ticket index must subtract samples when an out-of-order event changes a ticket's
history (the DDSketch package only adds and merges).
"""

from __future__ import annotations

import math

RELATIVE_ACCURACY = 0.005
"""Half the 1 % the contract allows: room for the rank convention below."""

_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(_GAMMA)
_MIN_VALUE = 1e-6
"""Event times have microsecond resolution: anything shorter is 0."""


def bucket_of(value: float) -> int:
    """The sketch bucket of a sample; 0 and sub-microsecond values share bucket ``ZERO``."""
    if value < _MIN_VALUE:
        return ZERO
    return math.ceil(math.log(value) / _LOG_GAMMA)


ZERO = -(10**9)


def bucket_value(key: int) -> float:
    """The value reported for a bucket: within RELATIVE_ACCURACY of all its samples."""
    if key == ZERO:
        return 0.0
    return 2 * _GAMMA**key / (_GAMMA + 1)


def quantile_rank(q: float, count: int) -> int:
    """0-based rank of the q-quantile: the lower nearest rank, floor(q * (n - 1))."""
    return math.floor(q * (count - 1))


class Sketch:
    """Counts per log bucket, with exact ``count`` and ``total_us`` alongside.

    The sum is kept in integer microseconds (event times have microsecond
    resolution) so that adding and removing samples in any order gives exactly
    the same total, which keeps a rebuilt worker identical to an uninterrupted one.
    """

    __slots__ = ("buckets", "count", "total_us")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        """log bucket -> samples in it (never zero). A plain dict: ``Counter()`` costs
        a call to ``update`` per sketch, and a worker makes three per new bucket."""
        self.count = 0
        self.total_us = 0

    @classmethod
    def summed(cls, count: int, total_us: int) -> Sketch:
        """A sketch that only knows its count and sum (a summary's ``_count``/``_sum``)."""
        sketch = cls()
        sketch.count, sketch.total_us = count, total_us
        return sketch

    @property
    def total(self) -> float:
        """Sum of the samples, in seconds."""
        return self.total_us / 1e6

    def add(self, value: float, weight: int = 1) -> None:
        """Add (weight 1) or remove (weight -1) one sample."""
        key = bucket_of(value)
        left = self.buckets.get(key, 0) + weight
        if left:
            self.buckets[key] = left
        else:
            del self.buckets[key]
        self.count += weight
        self.total_us += weight * round(value * 1e6)

    def merge(self, other: Sketch) -> None:
        """Add all of ``other``'s samples."""
        mine = self.buckets
        for key, n in other.buckets.items():
            mine[key] = mine.get(key, 0) + n
        self.count += other.count
        self.total_us += other.total_us

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        """Values of the given quantiles (ascending ``qs``); needs count > 0."""
        ranks = [quantile_rank(q, self.count) for q in qs]
        out: list[float] = []
        seen = 0
        it = iter(sorted(self.buckets.items()))
        key, n = next(it)
        for rank in ranks:
            while seen + n <= rank:
                seen += n
                key, n = next(it)
            out.append(bucket_value(key))
        return out
