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
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from cxpulse.core.expiry import ExpiryQueue
from cxpulse.core.offsets import AppliedOffsets
from cxpulse.core.partition_writes import delete, put
from cxpulse.core.sharded import ShardedDict
from cxpulse.core.watermark import Watermark
from cxpulse.core.windows import is_late
from cxpulse.schemas.contract import CONTRACTS
from cxpulse.schemas.events import Event, Headers, Rejection, decode


class Unchecked:
    """The type of :data:`UNCHECKED`."""


UNCHECKED = Unchecked()
"""No message key to check (events replayed from a file, pure tests)."""

Veto = Callable[[Event], Rejection | None]


def check_key(event: Event, key: bytes | None) -> Event | Rejection:
    """The event if the message key is its entity id (SPEC §1), else ``wrong_key``."""
    entity = event.data.get(CONTRACTS[event.type].key_field)
    if key is None or not isinstance(entity, str) or key != entity.encode():
        return Rejection("wrong_key")
    return event


@dataclass(slots=True)
class IngestStats:
    """The cx_events_* counters of one worker process (they restart at zero)."""

    accepted: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(topic, event_type) -> valid events seen for the first time."""
    rejected: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(topic, reason) -> bad events."""
    duplicate: Counter[str] = field(default_factory=Counter)
    late: Counter[str] = field(default_factory=Counter)


_UNCOUNTED = IngestStats()
"""Where the counts of messages read again go: nowhere anyone reads."""


def payload_digest(event: Event) -> int:
    """Tells a redelivery (same digest) from an id reused for another event: 64 bits
    as a signed int (36 B in memory, where its hex string took 65 B)."""
    body = orjson.dumps([event.type, event.time, event.data], option=orjson.OPT_SORT_KEYS)
    return int.from_bytes(hashlib.blake2b(body, digest_size=8).digest(), "big", signed=True)


def stored_digest(entry: Sequence[Any]) -> int:
    """A dedupe entry's digest; one written before 2026-12-07 is its hex string."""
    digest = entry[1]
    if type(digest) is str:
        return int.from_bytes(bytes.fromhex(digest), "big", signed=True)
    return int(digest)


def kept_since(entry: Sequence[Any]) -> float:
    """When a dedupe entry's horizon starts: its event time, or the watermark a late
    event arrived at."""
    return float(entry[-1] if len(entry) > 2 else entry[0])


IDLE_AFTER = 60.0
"""Seconds of wall-clock silence after which a partition no longer holds live-mode
expiry back."""

CHUNK_IDS = 500
"""Ids per dedupe chunk: a batch's new ids of one partition share one changelog record."""
CHUNK_SPAN = 0.25
"""A chunk takes new ids for at most this fraction of the horizon (in event time), so
a quiet partition's ids are not kept much longer than the horizon."""
CHUNK_BATCHES = 4
"""A chunk takes new ids in at most this many batches. Each batch rewrites the whole
chunk to its changelog: a live worker's batches bring a few ids per partition, and a
chunk filled to :data:`CHUNK_IDS` 10 at a time was sent about 50 times (at 5,000
tickets/s: 432 MB of dedupe records a minute; 37 MB with this bound)."""


class Admission:
    """One topic's gate. ``topic`` is the default name (``cx.tickets``), used as label.

    The dedupe ids live in *chunks*: ``seen`` maps ``"<partition>:<first id>"`` to
    ``{event id: [event time, payload digest]}`` for up to :data:`CHUNK_IDS` ids of
    one partition, in arrival order, over at most a quarter of the horizon and
    :data:`CHUNK_BATCHES` batches (:meth:`end_batch`). A batch
    of events then writes one changelog record per partition instead of one per
    event, and a chunk is deleted whole once its latest event is a horizon behind the
    watermark. An id older than the horizon counts as forgotten even while its chunk
    is kept, so dedupe behaves as if every id expired on its own; memory holds about
    1.25 horizons of ids.

    An event older than the watermark is kept from the watermark it arrived at, not
    from its own time (else a late event's redelivery a moment later would count
    again): its entry is ``[event time, digest, watermark then]``.
    """

    def __init__(self, topic: str, stats: IngestStats, seen: MutableMapping[str, Any], *,
                 replay_clock: bool, dedupe_horizon: float) -> None:
        self.topic = topic
        self.stats = stats
        self.seen = seen
        self.replay_clock = replay_clock
        self.horizon = dedupe_horizon
        self.watermark = Watermark()
        self._expiry = ExpiryQueue()
        self._chunk_of: ShardedDict[str] = ShardedDict()
        """event id -> the key of the chunk holding it (ids of the owned partitions;
        sharded: one entry per event of the horizon)."""
        self._latest: dict[str, float] = {}
        """chunk key -> the latest event time in it."""
        self._open: dict[int, tuple[str, float, int]] = {}
        """partition -> (the chunk its new ids go into, the event time that opened it,
        the batches before this one that wrote it)."""
        self._written: set[int] = set()
        """Partitions whose open chunk took ids in this batch."""
        self.is_late: Callable[[float, float | None], bool] = is_late
        """Whether an event time is late at "now" (the windowed families' 24 h + 1 min
        by default; a family with longer windows sets its own)."""
        self.offsets = AppliedOffsets()
        """Offsets admitted and skipped per partition; kept in ``seen`` under the key
        ``"<partition>:"`` (no event id is empty, so no chunk has that key)."""
        self._offsets_moved: set[int] = set()
        """Partitions whose offsets record is written at :meth:`end_batch`."""

    def now(self) -> float | None:
        """"Now" for this topic's windows: the watermark in replay, else the wall clock."""
        return self.watermark.value() if self.replay_clock else time.time()

    def expiry_mark(self) -> float | None:
        """The event time state expires by: the watermark in replay (deterministic);
        in live mode, the watermark of the partitions not idle for :data:`IDLE_AFTER`."""
        if self.replay_clock:
            return self.watermark.value()
        return self.watermark.active_value(time.time(), IDLE_AFTER)

    def admit(self, raw: bytes | None, partition: int, *, key: bytes | Unchecked | None = UNCHECKED,
              headers: Headers = None, offset: int | None = None,
              veto: Veto | None = None) -> Event | Rejection:
        """The event to aggregate, or the reason to dead-letter it.

        ``key`` is the message key (``UNCHECKED`` in pure replays): it must be the
        entity id named by the contract, else the event is ``wrong_key`` (an
        unkeyed or wrongly keyed producer would split an entity over partitions).
        ``headers`` carry a binary-mode CloudEvent's attributes. ``offset`` tells a
        message read again because its offset was not committed (at or below the
        highest offset applied in its partition, and not in a range the consumer
        skipped, :mod:`cxpulse.core.offsets`): it is processed as before but counted
        nowhere. ``veto`` lets the family refuse a valid new event (for
        example ``entity_too_large``) before anything is remembered.

        A duplicate (its id seen within the horizon) is counted as such but still
        returned: the families' histories are keyed by event id, so applying it again
        changes nothing, and if a crash lost the history write while the dedupe-id
        write reached its changelog, the redelivered event is not lost. An id seen
        with another payload is rejected (``reused_id``): the first payload stands and
        the second goes to the dead-letter topic, so nothing is lost silently.
        """
        counting = offset is None or self.note_offset(partition, offset)
        stats = self.stats if counting else _UNCOUNTED
        result = decode(raw, self.topic, now=time.time(), headers=headers)
        if isinstance(result, Event) and not isinstance(key, Unchecked):
            result = check_key(result, key)
        if isinstance(result, Rejection):
            stats.rejected[(self.topic, result.kind)] += 1
            return result
        digest = payload_digest(result)
        mark = self.watermark.value()  # no event is observed before _remember
        entry = self._entry(result.id, mark)
        if entry is not None:
            if stored_digest(entry) != digest:
                stats.rejected[(self.topic, "reused_id")] += 1
                return Rejection("reused_id")
            stats.duplicate[self.topic] += 1
            return result
        if veto is not None:
            refused = veto(result)
            if refused is not None:
                stats.rejected[(self.topic, refused.kind)] += 1
                return refused
        now_before = self.now()
        self._remember(result.id, partition, result.time, digest, mark)
        self.watermark.observe(partition, result.time, None if self.replay_clock else time.time())
        stats.accepted[(self.topic, result.type)] += 1
        if self.is_late(result.time, now_before):
            stats.late[self.topic] += 1
        return result

    def note_offset(self, partition: int, offset: int) -> bool:
        """Record ``offset`` as applied; False when it was applied before (a re-read)."""
        if not self.offsets.note(partition, offset):
            return False
        self._offsets_moved.add(partition)
        return True

    def save_offsets(self, partition: int) -> None:
        """Write the partition's offsets record, with the batch's other dedupe records."""
        put(self.seen, f"{partition}:", self.offsets.record(partition), partition)

    def _entry(self, event_id: str, mark: float | None) -> Sequence[Any] | None:
        """[event time, digest] of a remembered id still within the horizon."""
        key = self._chunk_of.get(event_id)
        if key is None:
            return None
        chunk = self.seen.get(key)
        entry: Sequence[Any] | None = chunk.get(event_id) if chunk is not None else None
        if entry is None:  # never expected; a lookup must not crash the agent
            del self._chunk_of[event_id]
            return None
        if mark is not None and kept_since(entry) + self.horizon < mark:
            return None  # forgotten; a new entry will point elsewhere
        return entry

    def _remember(self, event_id: str, partition: int, event_time: float, digest: int,
                  mark: float | None) -> None:
        t = event_time if mark is None else max(event_time, mark)  # when its horizon starts
        late = t > event_time
        key, opened, _ = self._open.get(partition, ("", 0.0, 0))
        chunk = self.seen.get(key) if key else None
        if (chunk is None or len(chunk) >= CHUNK_IDS
                or abs(t - opened) > CHUNK_SPAN * self.horizon):
            key = f"{partition}:{event_id}"
            while key in self.seen:  # a re-read id past the horizon that opened a chunk
                key += "+"
            self._open[partition] = (key, t, 0)
            chunk = {}
            self._expiry.push(partition, t + self.horizon, key)
        # A tuple (56 B, a list takes 72 B); a recovered chunk's entries are lists.
        chunk[event_id] = (event_time, digest, t) if late else (event_time, digest)
        self.seen[key] = chunk  # the chunk's changelog record, once per batch
        self._written.add(partition)
        self._chunk_of[event_id] = key
        if t > self._latest.get(key, t - 1):
            self._latest[key] = t

    def end_batch(self) -> None:
        """A batch's events are applied: write the offsets records of the partitions
        it read (once per batch: rewritten per event, they took 2.7 % of the agent in
        a replay profile), and close the chunks written in :data:`CHUNK_BATCHES`
        batches (the next id of their partition opens one)."""
        for partition in self._offsets_moved:
            self.save_offsets(partition)
        self._offsets_moved.clear()
        for partition in self._written:
            opened = self._open.get(partition)
            if opened is None:
                continue  # expired within the batch
            key, t, batches = opened
            if batches + 1 >= CHUNK_BATCHES:
                del self._open[partition]
            else:
                self._open[partition] = (key, t, batches + 1)
        self._written.clear()

    def _drop(self, key: str) -> None:
        partition = int(key.partition(":")[0])
        for event_id in self.seen.get(key) or ():
            if self._chunk_of.get(event_id) == key:
                del self._chunk_of[event_id]
        delete(self.seen, key, partition)
        self._latest.pop(key, None)
        if self._open.get(partition, ("",))[0] == key:
            del self._open[partition]

    def expire(self, partition: int) -> None:
        """Delete ``partition``'s chunks a horizon behind the watermark."""
        mark = self.expiry_mark()
        if mark is None:
            return
        for key in self._expiry.pop_due(partition, mark):
            latest = self._latest.get(key)
            if latest is None:
                continue  # already gone
            if latest + self.horizon < mark:
                self._drop(key)
            else:  # it received later ids since it was queued
                self._expiry.push(partition, latest + self.horizon, key)

    def rebuild(self, partitions: set[int]) -> None:
        """Reload watermarks and dedupe ids from the recovered chunks.

        A partition's watermark is the latest event time among its remembered ids:
        the event that set it is never forgotten first, since chunks expire a horizon
        behind the topic's watermark, which is at most any partition's. So no table
        of watermarks (and no changelog write per event for one) is needed.
        """
        self.watermark = Watermark()
        self._expiry.clear()
        self._chunk_of.clear()
        self._latest.clear()
        self._open.clear()
        self._written.clear()
        self._offsets_moved.clear()
        self.offsets.reset()
        for key, chunk in self.seen.items():
            partition = int(key.partition(":")[0])
            if partition not in partitions or not chunk:
                continue
            if key.endswith(":"):
                self.offsets.load(partition, chunk)
                continue
            latest = max(kept_since(entry) for entry in chunk.values())
            for event_id, entry in chunk.items():
                # An id reused past the horizon is in two chunks: the later one counts.
                other = self._chunk_of.get(event_id)
                if other is None or kept_since(self.seen[other][event_id]) < kept_since(entry):
                    self._chunk_of[event_id] = key
            self._latest[key] = latest
            self.watermark.observe(partition, max(entry[0] for entry in chunk.values()))
            self._expiry.push(partition, latest + self.horizon, key)
