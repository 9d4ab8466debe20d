"""Event-time watermark of one topic (SPEC §2, "Now").

The watermark is the smallest, over the partitions that have delivered events, of
the largest event time seen in each, as in Flink. It never moves back: a partition
that delivers its first (older) event after others cannot pull "now" backwards,
because SLA deadlines that already fired cannot un-fire.
"""

from __future__ import annotations


class Watermark:
    """Per-partition maxima and the monotonic watermark derived from them."""

    __slots__ = ("_floor", "partition_max")

    def __init__(self) -> None:
        self.partition_max: dict[int, float] = {}
        self._floor: float | None = None

    def observe(self, partition: int, event_time: float) -> bool:
        """Record an event; True when the partition's maximum moved."""
        old = self.partition_max.get(partition)
        if old is None or event_time > old:
            self.partition_max[partition] = event_time
            return True
        return False

    def value(self) -> float | None:
        """The watermark, or None before any event."""
        if not self.partition_max:
            return self._floor
        low = min(self.partition_max.values())
        if self._floor is None or low > self._floor:
            self._floor = low
        return self._floor
