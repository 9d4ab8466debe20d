"""Which offsets of each partition a family has applied, and which it skipped.

A message read again because its offset was not committed is neither a new event nor
a duplicate (SPEC §3): the highest offset applied per partition tells it. Faust can
also *skip* a message around a rebalance (its fetch loop drops a message it was
handing over when the flow is suspended, yet moves its read offset past it, and its
commit tolerates a one-offset gap), so an offset above ``applied + 1`` opens a
*missing* range: those offsets were never applied here. The agent reads such ranges
again on its own (``streams/gap_repair.py``); a message from a missing range counts as
new, and offsets the broker has no record for (transaction markers, retention) are
cleared once a read of the range shows them absent.

A partition's record, kept with its dedupe ids in the same changelog, is
``[applied, lo1, hi1, lo2, hi2, …]``.
"""

from __future__ import annotations

MAX_MISSING = 64
"""Missing ranges kept per partition; beyond that the oldest is given up (a producer
committing transactions faster than they are read could otherwise grow the record)."""


class AppliedOffsets:
    """Per partition: the highest offset applied and the ranges below it never seen."""

    __slots__ = ("applied", "missing")

    def __init__(self) -> None:
        self.applied: dict[int, int] = {}
        self.missing: dict[int, list[tuple[int, int]]] = {}
        """partition -> inclusive (lo, hi) ranges, in the order they were found."""

    def note(self, partition: int, offset: int) -> bool:
        """Record ``offset`` as applied; False when it was applied before (a re-read)."""
        applied = self.applied.get(partition)
        if applied is not None and offset <= applied:
            return self._fill(partition, offset)
        if applied is not None and offset > applied + 1:
            ranges = self.missing.setdefault(partition, [])
            ranges.append((applied + 1, offset - 1))
            del ranges[:-MAX_MISSING]
        self.applied[partition] = offset
        return True

    def _fill(self, partition: int, offset: int) -> bool:
        ranges = self.missing.get(partition)
        if not ranges:
            return False
        for n, (lo, hi) in enumerate(ranges):
            if lo <= offset <= hi:
                ranges[n:n + 1] = [r for r in ((lo, offset - 1), (offset + 1, hi))
                                   if r[0] <= r[1]]
                if not ranges:
                    del self.missing[partition]
                return True
        return False

    def clear(self, partition: int, lo: int, hi: int) -> None:
        """Forget the missing offsets in ``lo..hi``: a read of it found no more records."""
        ranges = self.missing.get(partition, [])
        kept = [piece for a, b in ranges
                for piece in ((a, min(b, lo - 1)), (max(a, hi + 1), b)) if piece[0] <= piece[1]]
        if kept:
            self.missing[partition] = kept
        else:
            self.missing.pop(partition, None)

    def record(self, partition: int) -> list[int]:
        """The partition's changelog record."""
        return [self.applied[partition],
                *(o for lo_hi in self.missing.get(partition, ()) for o in lo_hi)]

    def load(self, partition: int, record: list[int]) -> None:
        """Take a partition's record back (after a recovery)."""
        self.applied[partition] = int(record[0])
        pairs = [(int(record[n]), int(record[n + 1])) for n in range(1, len(record) - 1, 2)]
        if pairs:
            self.missing[partition] = pairs
        else:
            self.missing.pop(partition, None)

    def reset(self) -> None:
        self.applied.clear()
        self.missing.clear()
