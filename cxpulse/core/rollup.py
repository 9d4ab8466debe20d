"""Minute buckets of per-label sums, whose window sums reuse cached whole hours.

Every scrape merges each window's buckets per label set: the 24h window alone is
1,440 minute buckets. Most of them no longer change, so each whole hour's sum is
kept once computed, and dropped as soon as any of its buckets is written (a late
event, a ticket answered hours after it opened). A 24h window then merges at most
24 hour sums and 118 minute buckets. The sums are exact integers and sketches, so
the cached path gives the same numbers as merging every minute.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, Protocol, Self, TypeVar

HOUR = 60
"""Minute buckets per cached hour."""


class Mergeable(Protocol):
    def merge(self, other: Self) -> None: ...


K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Mergeable)


class BucketSums(Generic[K, T]):
    """``buckets[minute][labels]`` sums, written through :meth:`at`."""

    __slots__ = ("_hours", "buckets", "new")

    def __init__(self, new: Callable[[], T]) -> None:
        self.new = new
        self.buckets: dict[int, dict[K, T]] = {}
        self._hours: dict[int, dict[K, T]] = {}
        """hour (bucket // HOUR) -> the sum of its buckets, while none has changed."""

    def at(self, b: int, labels: K) -> T:
        """The sums of (bucket, labels), created empty; the caller changes them."""
        self._hours.pop(b // HOUR, None)
        per_bucket = self.buckets.get(b)
        if per_bucket is None:
            per_bucket = self.buckets[b] = {}
        totals = per_bucket.get(labels)
        if totals is None:
            totals = per_bucket[labels] = self.new()
        return totals

    def drop_before(self, floor: int) -> None:
        """Forget the buckets before ``floor`` (and every hour that held one)."""
        for b in [b for b in self.buckets if b < floor]:
            del self.buckets[b]
        for h in [h for h in self._hours if h <= floor // HOUR]:
            del self._hours[h]

    def clear(self) -> None:
        self.buckets.clear()
        self._hours.clear()

    def window(self, buckets: range) -> dict[K, T]:
        """The sum over ``buckets`` per label set (only label sets with sums)."""
        out: dict[K, T] = {}
        b, stop = buckets.start, buckets.stop
        while b < stop:
            if b % HOUR == 0 and b + HOUR <= stop:
                self._add(out, self._hour(b // HOUR))
                b += HOUR
            else:
                self._add(out, self.buckets.get(b))
                b += 1
        return out

    def _hour(self, h: int) -> dict[K, T]:
        cached = self._hours.get(h)
        if cached is None:
            cached = {}
            for b in range(h * HOUR, (h + 1) * HOUR):
                self._add(cached, self.buckets.get(b))
            self._hours[h] = cached
        return cached

    def _add(self, out: dict[K, T], sums: dict[K, T] | None) -> None:
        if not sums:
            return
        for labels, totals in sums.items():
            agg = out.get(labels)
            if agg is None:
                agg = out[labels] = self.new()
            agg.merge(totals)
