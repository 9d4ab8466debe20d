"""Admission of one topic's messages, as pure logic over injected mappings.

decode -> reject the bad -> drop duplicates within the dedupe horizon -> advance
the watermark -> flag late events. The mappings are Faust tables in a worker
(changelog-backed, so a restarted worker knows the ids and watermarks again) and
plain dicts in tests and replays.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from cxpulse.core.expiry import ExpiryQueue
from cxpulse.core.watermark import Watermark
from cxpulse.core.windows import is_late
from schemas.events import Event, Rejection, decode


@dataclass(slots=True)
class IngestStats:
    """The cx_events_* counters of one worker process (they restart at zero)."""

    accepted: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(topic, event_type) -> valid events seen for the first time."""
    rejected: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(topic, reason) -> bad events."""
    duplicate: Counter[str] = field(default_factory=Counter)
    late: Counter[str] = field(default_factory=Counter)


class Admission:
    """One topic's gate. ``topic`` is the default name (``cx.tickets``), used as label."""

    def __init__(self, topic: str, stats: IngestStats, seen: MutableMapping[str, Any],
                 marks: MutableMapping[str, Any], *, replay_clock: bool,
                 dedupe_horizon: float) -> None:
        self.topic = topic
        self.stats = stats
        self.seen = seen
        """event id -> [event time, partition]."""
        self.marks = marks
        """str(partition) -> largest event time seen there."""
        self.replay_clock = replay_clock
        self.horizon = dedupe_horizon
        self.watermark = Watermark()
        self._expiry = ExpiryQueue()

    def now(self) -> float | None:
        """"Now" for this topic's windows: the watermark in replay, else the wall clock."""
        return self.watermark.value() if self.replay_clock else time.time()

    def admit(self, raw: bytes | None, partition: int) -> Event | Rejection:
        """The event to aggregate, or the reason to dead-letter it.

        A duplicate (its id seen within the horizon) is counted as such but still
        returned: the families' histories are keyed by event id, so applying it again
        changes nothing, and if a crash lost the history write while the dedupe-id
        write reached its changelog, the redelivered event is not lost.
        """
        result = decode(raw, self.topic, now=time.time())
        if isinstance(result, Rejection):
            self.stats.rejected[(self.topic, result.kind)] += 1
            return result
        if result.id in self.seen:
            self.stats.duplicate[self.topic] += 1
            return result
        now_before = self.now()
        self.seen[result.id] = [result.time, partition]
        self._expiry.push(partition, result.time + self.horizon, result.id)
        if self.watermark.observe(partition, result.time):
            self.marks[str(partition)] = result.time
        self.stats.accepted[(self.topic, result.type)] += 1
        if is_late(result.time, now_before):
            self.stats.late[self.topic] += 1
        return result

    def expire(self, partition: int) -> None:
        """Forget ids older than the horizon (event time); call while in ``partition``."""
        mark = self.watermark.value()
        if mark is None:
            return
        for event_id in self._expiry.pop_due(partition, mark):
            entry = self.seen.get(event_id)
            if entry is not None and entry[0] + self.horizon < mark:
                del self.seen[event_id]

    def rebuild(self, partitions: set[int]) -> None:
        """Reload watermarks and dedupe expiry from recovered mappings."""
        self.watermark = Watermark()
        for key, value in self.marks.items():
            if int(key) in partitions:
                self.watermark.observe(int(key), value)
        self._expiry.clear()
        for event_id, (t, partition) in self.seen.items():
            if partition in partitions:
                self._expiry.push(partition, t + self.horizon, event_id)
