"""Keys waiting for an instant, popped in instant order once "now" passes it.

A heap of ``(instant, key)`` tuples costs 64 B per waiting key, and the ticket index
keeps one per open ticket (its next deadline). Here only the keys due within the
current :data:`SPAN` seconds sit in such a heap; the later ones wait in buckets of
``SPAN`` seconds, as a list of keys and an array of their instants (16 B per key),
and a bucket moves to the heap once "now" is within a span of it (a span early:
``floor(instant / SPAN)`` may round up past an instant by a unit in the last place).
Pops are exact: a key comes out at the first :meth:`pop_before` whose ``now`` is
past its instant.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Iterator

SPAN = 10.0
"""Seconds of instants per bucket."""


class InstantQueue:
    """A min-queue of (instant, key); a key may be queued more than once."""

    __slots__ = ("_buckets", "_horizon", "_near", "_order")

    def __init__(self) -> None:
        self._near: list[tuple[float, str]] = []
        """The keys whose instant is before the horizon, as a heap."""
        self._horizon = -math.inf
        """Where the buckets begin: every bucketed instant is at or after it."""
        self._buckets: dict[int, tuple[list[str], array[float]]] = {}
        self._order: list[int] = []
        """The bucket numbers, as a heap."""

    def push(self, instant: float, key: str) -> None:
        if instant < self._horizon:
            heapq.heappush(self._near, (instant, key))
            return
        number = math.floor(instant / SPAN)
        bucket = self._buckets.get(number)
        if bucket is None:
            bucket = self._buckets[number] = ([], array("d"))
            heapq.heappush(self._order, number)
        bucket[0].append(key)
        bucket[1].append(instant)

    def pop_before(self, now: float) -> Iterator[str]:
        """Keys whose instant is before ``now``, earliest first, removed as they go
        (a key pushed meanwhile with an instant before ``now`` comes out too)."""
        near, order = self._near, self._order
        while True:
            while order and (order[0] - 1) * SPAN < now:
                number = heapq.heappop(order)
                keys, instants = self._buckets.pop(number)
                for instant, key in zip(instants, keys, strict=True):
                    heapq.heappush(near, (instant, key))
                self._horizon = max(self._horizon, (number + 1) * SPAN)
            if not near or near[0][0] >= now:
                return
            yield heapq.heappop(near)[1]

    def __len__(self) -> int:
        return len(self._near) + sum(len(keys) for keys, _ in self._buckets.values())
