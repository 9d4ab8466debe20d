"""Per-bucket sums of facts, for every family but tickets (which keep their own index).

A *fact* is one thing an entity contributes to one 1-minute bucket under one label
set: a count (+1 answered), an integer sum (+4 score, +19_990_000 micro-units of
money) or a duration sample. Entities' facts are added and, when an entity's history
changes, subtracted again, so every sum is kept in integers and stays exact whatever
the order of the events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from cxpulse.core.rollup import BucketSums
from cxpulse.core.sketch import Sketch
from cxpulse.core.windows import WINDOWS, oldest_kept_bucket, window_buckets

Labels = tuple[str, ...]
Fact = tuple[int, Labels, int, int | float]
"""(bucket, labels, field, value): a field < n_counts is an integer sum, the others
are sketches of samples (field - n_counts)."""

MICRO = 1_000_000
"""Money and other decimal sums are kept as integer micro-units."""


def micro(value: float) -> int:
    return round(value * MICRO)


_F = TypeVar("_F")


def changed_parts(old: Sequence[_F], new: Sequence[_F]) -> tuple[Sequence[_F], Sequence[_F]]:
    """What to subtract and what to add when an entity's facts go from ``old`` to
    ``new``: both without the common head and tail. A fact subtracted and added again
    changes no sum, and an event mostly adds facts at the end of a long list (an
    agent's day of minutes, a session's pages), so the unchanged rest is not applied
    twice for nothing."""
    n = min(len(old), len(new))
    head = _common_run(old, new, n, 1)
    tail = _common_run(old, new, n - head, -1)
    if not head and not tail:
        return old, new
    return old[head:len(old) - tail], new[head:len(new) - tail]


COMPARE_STEP = 64
"""Facts compared at once by one slice comparison (C, and mostly identity checks:
an unchanged fact is the same tuple), before the element that differs is looked for
one by one."""


def _common_run(old: Sequence[_F], new: Sequence[_F], n: int, way: int) -> int:
    """How many of the first (``way`` 1) or last (-1) ``n`` facts are equal."""
    done = 0
    while done < n:
        step = min(COMPARE_STEP, n - done)
        if way > 0:
            same = old[done:done + step] == new[done:done + step]
        else:
            same = (old[len(old) - done - step:len(old) - done]
                    == new[len(new) - done - step:len(new) - done])
        if not same:
            break
        done += step
    else:
        return n
    while done < n and (old[done] == new[done] if way > 0
                        else old[-1 - done] == new[-1 - done]):
        done += 1
    return done


class Totals:
    """Integer sums and sample sketches of one (bucket or window, labels)."""

    __slots__ = ("sketches", "sums")

    def __init__(self, n_sums: int, n_sketches: int) -> None:
        self.sums = [0] * n_sums
        self.sketches = [Sketch() for _ in range(n_sketches)]

    def merge(self, other: Totals) -> None:
        for i, n in enumerate(other.sums):
            self.sums[i] += n
        for mine, theirs in zip(self.sketches, other.sketches, strict=True):
            mine.merge(theirs)


class FactIndex:
    """Facts summed per bucket and label set; windows merged at scrape time."""

    def __init__(self, n_sums: int, n_sketches: int = 0) -> None:
        self.n_sums = n_sums
        self.n_sketches = n_sketches
        self.sums: BucketSums[Labels, Totals] = BucketSums(self.new_totals)
        self.floor: int | None = None
        """Buckets before this one are dropped: facts landing there are ignored."""

    def new_totals(self) -> Totals:
        return Totals(self.n_sums, self.n_sketches)

    def apply(self, facts: Iterable[Fact], weight: int) -> None:
        floor = self.floor
        n_sums = self.n_sums
        for b, labels, fact_field, value in facts:
            if floor is not None and b < floor:
                continue
            totals = self.sums.at(b, labels)
            if fact_field < n_sums:
                totals.sums[fact_field] += int(value) * weight
            else:
                totals.sketches[fact_field - n_sums].add(float(value), weight)

    def advance(self, now: float) -> None:
        """Drop the buckets no window needs any more."""
        floor = oldest_kept_bucket(now)
        if self.floor is not None and floor <= self.floor:
            return
        self.floor = floor
        self.sums.drop_before(floor)

    def prepare_windows(self, now: float) -> Iterator[None]:
        """The windows ending at ``now``, for the next scrape, in steps."""
        self.advance(now)
        yield from self.sums.prepare_steps(window_buckets(now, size) for size in WINDOWS.values())

    def window(self, buckets: range) -> dict[Labels, Totals]:
        """The sum over ``buckets`` per label set (only label sets with facts)."""
        return self.sums.window(buckets)

    def clear(self) -> None:
        self.sums.clear()
        self.floor = None
