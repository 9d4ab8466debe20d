"""One topic's pipeline over entity histories, for every family but tickets.

Same design as the ticket family: the only durable state is each entity's history
(its events that matter, keyed by event id, in a changelog-backed table), so an
event applied twice changes nothing and a recovered worker derives the same buckets.
What differs per family, how an event becomes a history entry and a history becomes
facts, is an :class:`Arithmetic`. Per entity the ``histories`` mapping keeps
its record ``[partition, history, serialised size in bytes]``
(:data:`~cxpulse.core.sorted_history.PART`).

Cost per event. A history grows in place (a bisect insert), and an entity's facts
are refreshed once per batch however many of its events the batch holds (between
:meth:`begin_batch` and :meth:`end_batch`; facts do not depend on "now", so the
result is the same as refreshing after every event). An entity is capped at
``limits`` (:mod:`entity_limits`), so one hot entity costs at most one bounded
refresh per batch. Expiry runs once per batch and partition read, at the batch's
end: an entity is dropped up to a batch after it fell due (the expiry queue's grain
already keeps it up to 10 s of event time longer), and the retention is at least
25 h, longer than any exact window.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any, Protocol

from cxpulse.core.admission import UNCHECKED, Admission, Unchecked
from cxpulse.core.entity_limits import EntityLimits
from cxpulse.core.expiry import ExpiryQueue
from cxpulse.core.facts import Fact, FactIndex, changed_parts
from cxpulse.core.partition_writes import delete
from cxpulse.core.sharded import ShardedDict
from cxpulse.core.sorted_history import HIST, ID, KIND, PART, TIME, add_to_record, upgraded
from cxpulse.core.table_walk import items_as_of_now
from cxpulse.core.team_quantiles import sample_facts
from cxpulse.schemas.events import Event, Headers, Rejection

History = list[list[Any]]
"""Entries ``[time, kind, event id, ...]`` sorted by (time, kind, id)."""


class Arithmetic(Protocol):
    """What one family computes from one entity's history."""

    n_sums: int
    n_sketches: int

    def entry(self, event: Event) -> tuple[str, list[Any]] | None:
        """(entity key, history entry) of an event, or None if it changes nothing."""

    def facts(self, history: History) -> list[Fact]:
        """Everything the entity contributes to the buckets (no dependence on now)."""

    def track(self, key: str, history: History | None) -> None:
        """Keep what the family's instant gauges need (None: the entity is gone)."""

    def clear(self) -> None:
        """Forget every tracked entity (before a rebuild)."""


class NoGauges:
    """For families whose instant gauges need nothing per entity."""

    def track(self, key: str, history: History | None) -> None:
        """Nothing to keep."""

    def clear(self) -> None:
        """Nothing to forget."""


def _order(entry: list[Any]) -> tuple[float, str, str]:
    return entry[TIME], entry[KIND], entry[ID]


REBUILD_STEP = 2000
"""Entities rebuilt between two yields to the event loop (about 20-40 ms here)."""


class HistoryFamily:
    """Admission, histories, their facts per bucket, and history expiry."""

    def __init__(self, admission: Admission, histories: MutableMapping[str, Any],
                 arithmetic: Arithmetic, retention: float,
                 limits: EntityLimits | None = None) -> None:
        self.admission = admission
        self.histories = histories
        self.arithmetic = arithmetic
        self.retention = retention
        self.limits = limits or EntityLimits()
        self._resend: set[str] = set()
        """Entities whose samples go to the team-quantile owner even if unchanged."""
        self._dirty: set[str] | None = None
        """In a batch: the entities to refresh at its end."""
        self._read: set[int] = set()
        """In a batch: the partitions its events came from, to expire at its end."""
        self._checked: tuple[str, tuple[str, list[Any]] | None, int] | None = None
        """(event id, its keyed entry, the entry's size) from the last veto."""
        self.index = FactIndex(arithmetic.n_sums, arithmetic.n_sketches)
        self._facts: ShardedDict[list[Fact]] = ShardedDict()
        self._expiry = ExpiryQueue()
        self.outbox: list[tuple[str, list[list[Any]]]] = []
        """(entity, its duration samples) changed since the agent last sent them to
        the team-quantile owner (:mod:`team_quantiles`)."""

    def now(self) -> float | None:
        return self.admission.now()

    def handle(self, raw: bytes | None, partition: int, *,
               key: bytes | Unchecked | None = UNCHECKED, headers: Headers = None,
               offset: int | None = None) -> Rejection | None:
        """Process one message of ``partition``; return the rejection to dead-letter."""
        now_before = self.admission.now()
        result = self.admission.admit(raw, partition, key=key, headers=headers, offset=offset,
                                      veto=self._veto)
        self.tick()
        if isinstance(result, Event):
            self.apply(result, partition, now_before)
        if self._dirty is None:
            self._expire(partition)
        else:
            self._read.add(partition)
        return result if isinstance(result, Rejection) else None

    def begin_batch(self) -> None:
        """Refresh each entity once, and expire each partition's state once, at
        :meth:`end_batch`, instead of after each event."""
        self._dirty = set()

    def end_batch(self) -> None:
        dirty, self._dirty = self._dirty or set(), None
        for partition in self._read:
            self._expire(partition)
        self._read.clear()
        for key in dirty:
            record = self.histories.get(key)
            if record is not None:  # else expired within the batch, already refreshed
                self._refresh(key, record[HIST])
        self.admission.end_batch()

    def tick(self) -> None:
        """Move the buckets (and any family clock) to the admission's "now"."""
        now = self.admission.now()
        if now is not None:
            self.index.advance(now)

    def prepare_windows(self) -> Iterator[None]:
        """The windows of the next scrape, in steps (see :mod:`rollup`)."""
        now = self.now()
        if now is not None:
            self.tick()
            yield from self.index.prepare_windows(now)

    def _veto(self, event: Event) -> Rejection | None:
        """Refuse an event its entity has no room for (:mod:`entity_limits`)."""
        keyed = self.arithmetic.entry(event)
        refused, size = (None, 0) if keyed is None else self.limits.refuse_for(
            self.histories, *keyed)
        self._checked = (event.id, keyed, size)
        return refused

    def apply(self, event: Event, partition: int, now_before: float | None) -> None:
        """Add an admitted event to its entity's history and refresh the facts."""
        checked_id, keyed, size = self._checked or ("", None, 0)
        if checked_id != event.id:  # a duplicate, offered again in case its write was lost
            keyed, size = self.arithmetic.entry(event), 0
        self._checked = None
        if keyed is None:
            return
        key, entry = keyed
        record = add_to_record(self.histories, key, entry, size, partition, _order)
        if record is None:
            # The history has it already: a crash may have lost what followed its write
            # (the dedupe record, the samples sent to the team-quantile owner), so they
            # are sent again (the owner replaces an entity's samples: a repeat is free).
            record = self.histories[key]
            self._resend.add(key)
        self._expiry.push(partition, record[HIST][-1][TIME] + self.retention, key)
        if self._dirty is not None:
            self._dirty.add(key)
            return
        self._refresh(key, record[HIST])

    def _refresh(self, key: str, history: History | None, *, send: bool = True) -> None:
        old = self._facts.pop(key, None)
        facts = self.arithmetic.facts(history) if history is not None else []
        gone, added = changed_parts(old or [], facts)
        self.index.apply(gone, -1)
        self.index.apply(added, 1)
        if facts:
            self._facts[key] = facts
        self.arithmetic.track(key, history)
        if send and self.arithmetic.n_sketches:
            n = self.arithmetic.n_sums
            samples = sample_facts(facts, n)
            if samples != sample_facts(old or [], n) or key in self._resend:
                self.outbox.append((key, samples))
        self._resend.discard(key)

    def _expire(self, partition: int) -> None:
        """Drop ``partition``'s histories whose last event is older than the retention
        (deletes name the partition: a batch's end is not within any one event)."""
        self.admission.expire(partition)
        mark = self.admission.expiry_mark()
        if mark is None:
            return
        for key in self._expiry.pop_due(partition, mark):
            record = self.histories.get(key)
            if record is not None and record[HIST][-1][TIME] + self.retention < mark:
                delete(self.histories, key, partition)
                self._refresh(key, None)

    def rebuild(self, partitions: set[int]) -> None:
        """After recovery: derive everything again from the recovered mappings."""
        for _ in self.rebuild_steps(partitions):
            pass

    def rebuild_steps(self, partitions: set[int], *, resend: bool = True) -> Iterator[None]:
        """:meth:`rebuild` in steps of :data:`REBUILD_STEP` entities, so the agent can
        let the event loop run between them (a 10^6-entity recovery must not stop the
        probes, the scrapes or the group's heartbeats).

        ``resend``: put every entity's samples in the outbox again, for the team-quantile
        owner (after a recovery: whatever a crash or a hand-over lost on the way, the
        owner ends with what the histories say; it ignores an unchanged message)."""
        self.admission.rebuild(partitions)
        self.index.clear()
        self.arithmetic.clear()
        self._facts.clear()
        self._expiry.clear()
        self.outbox.clear()
        self.tick()
        for n, (key, record) in enumerate(items_as_of_now(self.histories), 1):
            record = upgraded(self.histories, key, record)
            if record[PART] in partitions:
                history = record[HIST]
                self._refresh(key, history, send=resend)
                self._expiry.push(record[PART], history[-1][TIME] + self.retention, key)
            if n % REBUILD_STEP == 0:
                yield
