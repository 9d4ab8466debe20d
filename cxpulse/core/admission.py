"""Admission of one topic's messages, as pure logic over injected mappings.

decode -> reject the bad -> recognise duplicates within the dedupe horizon (an id
reused with another payload is rejected as ``reused_id``) -> advance the watermark
-> flag late events. The mappings are Faust tables in a worker
(changelog-backed, so a restarted worker knows the ids and watermarks again) and
plain dicts in tests and replays.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson

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


def payload_digest(event: Event) -> str:
    """Tells a redelivery (same digest) from an id reused for another event."""
    body = orjson.dumps([event.type, event.time, event.data], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(body, digest_size=8).hexdigest()


class Admission:
    """One topic's gate. ``topic`` is the default name (``cx.tickets``), used as label."""

    def __init__(self, topic: str, stats: IngestStats, seen: MutableMapping[str, Any], *,
                 replay_clock: bool, dedupe_horizon: float) -> None:
        self.topic = topic
        self.stats = stats
        self.seen = seen
        """event id -> [event time, partition, payload digest]."""
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
        write reached its changelog, the redelivered event is not lost. An id seen
        with another payload is rejected (``reused_id``): the first payload stands and
        the second goes to the dead-letter topic, so nothing is lost silently.
        """
        result = decode(raw, self.topic, now=time.time())
        if isinstance(result, Rejection):
            self.stats.rejected[(self.topic, result.kind)] += 1
            return result
        digest = payload_digest(result)
        entry = self.seen.get(result.id)
        if entry is not None:
            if len(entry) > 2 and entry[2] != digest:  # older entries: no digest
                self.stats.rejected[(self.topic, "reused_id")] += 1
                return Rejection("reused_id")
            self.stats.duplicate[self.topic] += 1
            return result
        now_before = self.now()
        self.seen[result.id] = [result.time, partition, digest]
        self._expiry.push(partition, result.time + self.horizon, result.id)
        self.watermark.observe(partition, result.time)
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
        """Reload watermarks and dedupe expiry from the recovered ids.

        A partition's watermark is the latest event time among its remembered ids:
        the event that set it is never forgotten first, since ids expire a horizon
        behind the topic's watermark, which is at most any partition's. So no table
        of watermarks (and no changelog write per event for one) is needed.
        """
        self.watermark = Watermark()
        self._expiry.clear()
        for event_id, (t, partition, *_) in self.seen.items():
            if partition in partitions:
                self.watermark.observe(partition, t)
                self._expiry.push(partition, t + self.horizon, event_id)
