"""Event-time expiry, one queue per partition.

State written from partition p lives on partition p's changelog, and its deletion
must go there too (a tombstone naming the partition); a queue per partition lets a
family expire each partition it read once per batch.

Keys are kept in buckets of :data:`GRAIN` seconds of due time, not one heap entry
each: a heap entry was a tuple and a float (88 B with its slot) per queued key, and
the history families queue one per event; a key in a bucket costs its list slot
(8 B). A key comes out once "now" has passed its bucket's end, so at most
:data:`GRAIN` seconds of event time after it fell due: state kept that much longer,
which no number shows (the callers re-check each key, and a dedupe id already counts
as forgotten by its own time).
"""

from __future__ import annotations

import heapq
import math

GRAIN = 10.0
"""Seconds of due time per bucket: about 3 queued tickets per bucket and partition at
the simulated day's rate, 100 at a busy site's."""


class ExpiryQueue:
    """Keys due at an event time, per partition. Entries may be stale: callers re-check.

    Coarser than :class:`~cxpulse.core.instant_queue.InstantQueue`, which keeps each
    instant to pop it exactly (16 B a key): expiry needs no exactness (8 B a key)."""

    __slots__ = ("_queues",)

    def __init__(self) -> None:
        self._queues: dict[int, tuple[dict[int, list[str]], list[int]]] = {}
        """partition -> (bucket -> its keys, the buckets as a min-heap)."""

    def push(self, partition: int, due: float, key: str) -> None:
        if not due < math.inf:
            return  # never due (a family that keeps its entities for good)
        queue = self._queues.get(partition)
        if queue is None:
            queue = self._queues[partition] = ({}, [])
        buckets, order = queue
        bucket = math.ceil(due / GRAIN)  # its end: bucket * GRAIN >= due
        keys = buckets.get(bucket)
        if keys is None:
            buckets[bucket] = [key]
            heapq.heappush(order, bucket)
        elif keys[-1] != key:  # a key's events within one bucket: queued once
            keys.append(key)

    def pop_due(self, partition: int, now: float) -> list[str]:
        """Keys of ``partition`` whose bucket ended before ``now`` (so due before it),
        removed. A key pushed back meanwhile goes to a later bucket: its due is at or
        after ``now``, or it would have been removed."""
        queue = self._queues.get(partition)
        if queue is None:
            return []
        buckets, order = queue
        due: list[str] = []
        while order and order[0] * GRAIN < now:
            due += buckets.pop(heapq.heappop(order))
        return due

    def clear(self) -> None:
        self._queues.clear()
