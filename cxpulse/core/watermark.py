"""Event-time watermark of one topic (SPEC §2, "Now").

The watermark is the smallest, over the partitions that have delivered events, of
the largest event time seen in each, as in Flink. It never moves back: a partition
that delivers its first (older) event after others cannot pull "now" backwards,
because SLA deadlines that already fired cannot un-fire.
"""

from __future__ import annotations


class Watermark:
    """Per-partition maxima and the monotonic watermark derived from them."""

    __slots__ = ("_floor", "_moved", "heard", "partition_max")

    def __init__(self) -> None:
        self.partition_max: dict[int, float] = {}
        self._floor: float | None = None
        self._moved = False
        """A maximum moved since the floor was last computed (read several times per
        event, it is recomputed once)."""
        self.heard: dict[int, float] = {}
        """partition -> wall-clock time of its latest event (for :meth:`active_value`)."""

    def observe(self, partition: int, event_time: float, wall: float | None = None) -> bool:
        """Record an event (read at ``wall``); True when the partition's maximum moved."""
        if wall is not None:
            self.heard[partition] = wall
        old = self.partition_max.get(partition)
        if old is None or event_time > old:
            self.partition_max[partition] = event_time
            self._moved = True
            return True
        return False

    def value(self) -> float | None:
        """The watermark, or None before any event."""
        if self._moved:
            self._moved = False
            low = min(self.partition_max.values())
            if self._floor is None or low > self._floor:
                self._floor = low
        return self._floor

    def active_value(self, wall: float, idle_after: float) -> float | None:
        """The watermark over the partitions heard from in the last ``idle_after``
        seconds of wall-clock time (all of them if none was): what live-mode expiry
        follows, so one idle partition does not hold every other one's state (Flink's
        idleness). Never below :meth:`value`."""
        low = self.value()
        active = [self.partition_max[p] for p, at in self.heard.items()
                  if wall - at <= idle_after and p in self.partition_max]
        if not active:
            return low
        mark = min(active)
        return mark if low is None or mark > low else low
