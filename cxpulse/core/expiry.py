"""Event-time expiry, one queue per partition.

Faust writes a table deletion to the changelog partition of the event being
processed, so state written from partition p must also be deleted while an event of
partition p is processed; hence a queue per partition.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator


class ExpiryQueue:
    """Keys due at an event time, per partition. Entries may be stale: callers re-check."""

    __slots__ = ("_queues",)

    def __init__(self) -> None:
        self._queues: dict[int, list[tuple[float, str]]] = {}

    def push(self, partition: int, due: float, key: str) -> None:
        heapq.heappush(self._queues.setdefault(partition, []), (due, key))

    def pop_due(self, partition: int, now: float) -> Iterator[str]:
        """Keys of ``partition`` whose due time is before ``now``, removed as they go."""
        queue = self._queues.get(partition)
        while queue and queue[0][0] < now:
            yield heapq.heappop(queue)[1]

    def clear(self) -> None:
        self._queues.clear()
