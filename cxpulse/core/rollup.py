"""Minute buckets of per-label sums, whose window sums reuse cached whole hours.

Every scrape merges each window's buckets per label set: the 24h window alone is
1,440 minute buckets. Most of them no longer change, so each whole hour's sum is
kept once computed, and dropped as soon as any of its buckets is written (a late
event, a ticket answered hours after it opened). A 24h window then merges at most
24 hour sums and 118 minute buckets. The sums are exact integers and sketches, so
the cached path gives the same numbers as merging every minute.

A scrape runs on the worker's event loop, and merging a day of sketches for every
label set holds it for 0.1 s and more at 10^6 tickets. So the metrics handler first
*prepares* the windows in small steps (:meth:`prepare_steps`, one hour or minute
bucket at a time, the loop running between them) and the collectors then take the
prepared sums (:meth:`window`). Events applied while a scrape prepares are in the
next scrape: its windows are as of the moment the scrape began.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Generic, Protocol, Self, TypeVar

HOUR = 60
"""Minute buckets per cached hour."""


class Mergeable(Protocol):
    def merge(self, other: Self) -> None: ...


K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Mergeable)


class BucketSums(Generic[K, T]):
    """``buckets[minute][labels]`` sums, written through :meth:`at`."""

    __slots__ = ("_hours", "_ready", "_writes", "buckets", "new")

    def __init__(self, new: Callable[[], T]) -> None:
        self.new = new
        self.buckets: dict[int, dict[K, T]] = {}
        self._hours: dict[int, dict[K, T]] = {}
        """hour (bucket // HOUR) -> the sum of its buckets, while none has changed."""
        self._ready: dict[tuple[int, int], dict[K, T]] = {}
        """(first, stop bucket) -> a window prepared for the scrape under way."""
        self._writes = 0
        """Writes so far: an hour summed across steps is cached only if none came."""

    def at(self, b: int, labels: K) -> T:
        """The sums of (bucket, labels), created empty; the caller changes them."""
        self._writes += 1
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
        self._ready.clear()

    def window(self, buckets: range) -> dict[K, T]:
        """The sum over ``buckets`` per label set (only label sets with sums): the
        one prepared for this scrape if there is one, else computed now."""
        ready = self._ready.pop((buckets.start, buckets.stop), None)
        if ready is not None:
            return ready
        out: dict[K, T] = {}
        for _ in self._window_steps(buckets, out):
            pass
        return out

    def prepare_steps(self, windows: Iterable[range]) -> Iterator[None]:
        """Compute ``windows`` for the next :meth:`window` calls, yielding after each
        hour or minute bucket merged."""
        self._ready.clear()
        for buckets in windows:
            out: dict[K, T] = {}
            yield from self._window_steps(buckets, out)
            self._ready[(buckets.start, buckets.stop)] = out

    def _window_steps(self, buckets: range, out: dict[K, T]) -> Iterator[None]:
        b, stop = buckets.start, buckets.stop
        while b < stop:
            if b % HOUR == 0 and b + HOUR <= stop:
                h = b // HOUR
                hour = self._hours.get(h)
                if hour is None:  # sum it, a step per 10 minute buckets
                    hour, writes = {}, self._writes
                    for minute in range(b, b + HOUR):
                        self._add(hour, self.buckets.get(minute))
                        if minute % 10 == 9:
                            yield
                    if self._writes == writes:  # else a bucket may have changed meanwhile
                        self._hours[h] = hour
                self._add(out, hour)
                b += HOUR
            else:
                self._add(out, self.buckets.get(b))
                b += 1
            yield

    def _add(self, out: dict[K, T], sums: dict[K, T] | None) -> None:
        if not sums:
            return
        for labels, totals in sums.items():
            agg = out.get(labels)
            if agg is None:
                agg = out[labels] = self.new()
            agg.merge(totals)
