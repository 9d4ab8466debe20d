"""Distinct users per calendar day and partition, as HyperLogLog sketches.

``cx_active_users`` for ``7d`` and ``28d`` is the union of the last 7 or 28 local
days; SPEC allows 1 % relative error there. Apache DataSketches' HLL with
lg_k = 16 has a relative standard error of 0.41 % (1 % is 2.4 standard errors);
the bench measures the error on its users. A sketch is about 32 KB whatever the
number of users, so 28 days of a million users each cost a few MB, not gigabytes.

A day's sketch is idempotent (a user added twice counts once), so a rebuilt worker
may add a user again from both a saved sketch and the minute blocks: same result.
"""

from __future__ import annotations

import atexit
import base64
import weakref
from collections.abc import Callable

import datasketches as ds

LG_K = 16
_KIND = ds.tgt_hll_type.HLL_4
DAYS_KEPT = 28


def new_sketch() -> ds.hll_sketch:
    return ds.hll_sketch(LG_K, _KIND)


def encode(sketch: ds.hll_sketch) -> str:
    return base64.b64encode(sketch.serialize_compact()).decode()


def decode(text: str) -> ds.hll_sketch:
    return ds.hll_sketch.deserialize(base64.b64decode(text))


_HOLDERS: weakref.WeakSet[DaySketches] = weakref.WeakSet()


@atexit.register
def _release_at_exit() -> None:
    """Free every sketch before the interpreter shuts down.

    A worker's state is still referenced at exit (Faust's threads and tasks hold the
    app), so its sketches are never freed, and DataSketches' bindings (nanobind) then
    print every one of them as a leak "likely caused by a reference counting issue",
    dozens of lines at each stop."""
    for holder in list(_HOLDERS):
        holder.live.clear()
        holder._unions.clear()


class DaySketches:
    """Sketches per (partition, local day ordinal); saved ones are read through ``saved``.

    Days that can still change (today, yesterday, and any day an event reaches) are
    live sketch objects; a saved day is decoded only when it is needed, and the union
    of the days before yesterday is cached per partition until one of them changes.
    """

    def __init__(self, saved: Callable[[int, int], str | None]) -> None:
        self._saved = saved
        self.live: dict[tuple[int, int], ds.hll_sketch] = {}
        self.dirty: set[tuple[int, int]] = set()
        """Live days changed since they were last saved."""
        self._unions: dict[tuple[int, int, int], ds.hll_sketch] = {}
        """(partition, first day, last day) -> union of saved days, for past days."""
        _HOLDERS.add(self)

    def add(self, partition: int, day: int, user: int) -> None:
        key = (partition, day)
        sketch = self.live.get(key)
        if sketch is None:
            sketch = self._load(partition, day)
            self.live[key] = sketch
            self._forget_unions(partition, day)
        sketch.update(user)
        self.dirty.add(key)

    def _load(self, partition: int, day: int) -> ds.hll_sketch:
        text = self._saved(partition, day)
        return new_sketch() if text is None else decode(text)

    def _forget_unions(self, partition: int, day: int) -> None:
        for key in [k for k in self._unions if k[0] == partition and k[1] <= day <= k[2]]:
            del self._unions[key]

    def count(self, partitions: set[int], today: int, days: int) -> int:
        """Distinct users over the ``days`` days ending ``today``, summed over partitions
        (a user's events all reach one partition)."""
        total = 0.0
        first = today - days + 1
        for partition in partitions:
            union = ds.hll_union(LG_K)
            union.update(self._past_union(partition, first, today))
            for day in range(first, today + 1):
                sketch = self.live.get((partition, day))
                if sketch is not None:
                    union.update(sketch)
            total += union.get_estimate()
        return round(total)

    def _past_union(self, partition: int, first: int, today: int) -> ds.hll_sketch:
        """The saved days in [first, today] that are not live (cached)."""
        key = (partition, first, today)
        cached = self._unions.get(key)
        if cached is None:
            union = ds.hll_union(LG_K)
            for day in range(first, today + 1):
                if (partition, day) not in self.live:
                    text = self._saved(partition, day)
                    if text is not None:
                        union.update(decode(text))
            cached = self._unions[key] = union.get_result(_KIND)
            for stale in [k for k in self._unions if k[0] == partition and k[2] < today]:
                del self._unions[stale]
        return cached

    def take_dirty(self, partition: int, day: int) -> str | None:
        """The day's sketch to save if it changed since last saved, else None."""
        key = (partition, day)
        if key not in self.dirty:
            return None
        self.dirty.discard(key)
        return encode(self.live[key])

    def retire(self, before: int) -> None:
        """Drop live days older than ``before`` that are saved (not dirty)."""
        for key in [k for k in self.live if k[1] < before and k not in self.dirty]:
            del self.live[key]
            self._forget_unions(*key)
