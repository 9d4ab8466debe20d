"""The whole ticket pipeline of one worker, over injected mappings (no Faust).

A worker gives it Faust tables; tests and replays give it dicts. Per ticket the
``histories`` mapping keeps its record ``[partition, history, serialised size(, the
SLAs whose breach has been counted)]`` (:data:`~cxpulse.core.sorted_history.PART`);
the index is derived from it
and rebuilt after every recovery. Between :meth:`begin_batch` and :meth:`end_batch`
a ticket's view and facts are refreshed once, at the end, however many of its
events the batch holds; meanwhile its deadlines wait (``TicketIndex.deferred``).

Expiry, in event time (by the watermark): a ticket resolved for good (or never
opened) is forgotten ``retention`` after its last event; one still open (it never
closed), ``max_open_age`` after its last event, so state stays bounded whatever
upstream forgets to send. Within a batch, each partition read expires once, at the
batch's end.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from cxpulse.core.admission import UNCHECKED, Admission, Unchecked
from cxpulse.core.entity_limits import EntityLimits
from cxpulse.core.expiry import ExpiryQueue
from cxpulse.core.partition_writes import delete, put
from cxpulse.core.sharded import ShardedDict
from cxpulse.core.sorted_history import HIST, MARKS, PART, TIME, add_to_record, upgraded
from cxpulse.core.table_walk import items_as_of_now
from cxpulse.core.tickets import (
    SlaTargets,
    TicketIndex,
    TicketView,
    entry_order,
    history_entry,
    is_closed_for_good,
    samples_in,
    share_strings,
    view_of,
)
from cxpulse.schemas.events import Event, Headers, Rejection


class TicketFamily:
    """Admission, histories and the index of ``cx.tickets``."""

    def __init__(self, admission: Admission, histories: MutableMapping[str, Any],
                 targets: SlaTargets, retention: float,
                 max_open_age: float = 90 * 86400.0, limits: EntityLimits | None = None,
                 ) -> None:
        self.admission = admission
        self.histories = histories
        self.limits = limits or EntityLimits()
        self._resend: set[str] = set()
        """Tickets whose samples go to the team-quantile owner even if unchanged."""
        self._dirty: dict[str, int] | None = None
        """In a batch: ticket -> partition, of the tickets to refresh at its end."""
        self._read: set[int] = set()
        """In a batch: the partitions its events came from, to expire at its end."""
        self._checked: tuple[str, list[Any] | None, int] | None = None
        """(event id, its history entry, the entry's size) from the last veto."""
        self.retention = retention
        self.max_open_age = max_open_age
        self.index = TicketIndex(targets)
        self._retention = ExpiryQueue()
        self._due: ShardedDict[float] = ShardedDict()
        """ticket -> its earliest queued expiry (one live queue entry per ticket)."""
        self.outbox: list[tuple[str, list[list[Any]]]] = []
        """(ticket, its duration samples) to send to the team-quantile owner."""

    def handle(self, raw: bytes | None, partition: int, *,
               key: bytes | Unchecked | None = UNCHECKED, headers: Headers = None,
               offset: int | None = None) -> Rejection | None:
        """Process one message of ``partition``; return the rejection to dead-letter."""
        result = self.admission.admit(raw, partition, key=key, headers=headers, offset=offset,
                                      veto=self._veto)
        now = self.admission.now()
        if now is not None:
            self.index.advance(now)
            self._persist_marks()
        if isinstance(result, Event):
            self._apply(result, partition)
        if self._dirty is None:
            self._expire(partition)
        else:
            self._read.add(partition)
        return result if isinstance(result, Rejection) else None

    def begin_batch(self) -> None:
        self._dirty = {}

    def end_batch(self) -> None:
        dirty, self._dirty = self._dirty or {}, None
        for partition in self._read:
            self._expire(partition)
        self._read.clear()
        self.index.deferred.clear()
        for ticket_id, partition in dirty.items():
            record = self.histories.get(ticket_id)
            if record is not None:  # else expired within the batch: already removed
                self._refresh(ticket_id, partition, record[HIST])
        self._persist_marks()
        self.admission.end_batch()

    def now(self) -> float | None:
        """The index's "now": where its windows end and its deadlines have fired to."""
        return self.index.now

    def prepare_windows(self) -> Iterator[None]:
        """The windows of the next scrape, in steps (see :mod:`rollup`)."""
        return self.index.prepare_windows()

    def tick(self, now: float | None = None) -> None:
        """Live clock: let deadlines fire although no event arrives (``now``: the
        admission's, the wall clock in live mode)."""
        now = self.admission.now() if now is None else now
        if now is not None:
            self.index.advance(now)
            self._persist_marks()

    def _veto(self, event: Event) -> Rejection | None:
        """Refuse an event its ticket has no room for (:mod:`entity_limits`)."""
        entry = history_entry(event.type, event.id, event.time, event.data)
        refused, size = (None, 0) if entry is None else self.limits.refuse_for(
            self.histories, str(event.data["ticket_id"]), entry)
        self._checked = (event.id, entry, size)
        return refused

    def _apply(self, event: Event, partition: int) -> None:
        checked_id, entry, size = self._checked or ("", None, 0)
        if checked_id != event.id:  # a duplicate, offered again in case its write was lost
            entry, size = history_entry(event.type, event.id, event.time, event.data), 0
        self._checked = None
        if entry is None:
            return
        ticket_id = str(event.data["ticket_id"])
        record = add_to_record(self.histories, ticket_id, entry, size, partition, entry_order)
        if record is None:
            # The history has it already: a crash may have lost what followed its write
            # (the dedupe record, the samples sent to the team-quantile owner).
            record = self.histories[ticket_id]
            self._resend.add(ticket_id)
        if self._dirty is not None:
            self._dirty[ticket_id] = partition
            self.index.deferred.add(ticket_id)
            # The earliest it may expire; the view decides when it comes due.
            self._queue_expiry(partition, ticket_id, record[HIST][-1][TIME] + self.retention)
            return
        self._refresh(ticket_id, partition, record[HIST])
        self._persist_marks()

    def _refresh(self, ticket_id: str, partition: int, history: list[list[Any]]) -> None:
        view = view_of(history, self.index.targets)
        old_view = self.index.view(ticket_id)
        old_facts, facts = self.index.update(ticket_id, view)
        after = samples_in(view, facts)
        if after != samples_in(old_view, old_facts) or ticket_id in self._resend:
            self.outbox.append((ticket_id, after))
        self._resend.discard(ticket_id)
        self._schedule_expiry(partition, ticket_id, history, view)

    def _persist_marks(self) -> None:
        """Keep each counted breach in its ticket's record (counted once, ever)."""
        for ticket_id, sla in self.index.new_marks:
            record = self.histories.get(ticket_id)
            if record is None:
                continue
            if len(record) <= MARKS:
                record.append([])
            marks = record[MARKS]
            if sla not in marks:
                marks.append(sla)
                put(self.histories, ticket_id, record, record[PART])
        self.index.new_marks.clear()

    def _keep_for(self, view: TicketView | None) -> float:
        return self.retention if view is None or is_closed_for_good(view) else self.max_open_age

    def _schedule_expiry(self, partition: int, ticket_id: str, history: list[list[Any]],
                         view: TicketView | None) -> None:
        self._queue_expiry(partition, ticket_id,
                           max(e[TIME] for e in history) + self._keep_for(view))

    def _queue_expiry(self, partition: int, ticket_id: str, due: float) -> None:
        queued = self._due.get(ticket_id)
        if queued is None or due < queued:  # a later due is found when the earlier pops
            self._due[ticket_id] = due
            self._retention.push(partition, due, ticket_id)

    def _expire(self, partition: int) -> None:
        """Drop histories idle for longer than their retention (see the module doc)."""
        self.admission.expire(partition)
        now = self.admission.expiry_mark()
        if now is None:
            return
        for ticket_id in self._retention.pop_due(partition, now):
            if self._due.get(ticket_id, now) >= now:
                continue  # superseded by an earlier entry that already ran
            del self._due[ticket_id]
            record = self.histories.get(ticket_id)
            if record is None:
                continue
            history = record[HIST]
            view = view_of(history, self.index.targets)
            if max(e[TIME] for e in history) + self._keep_for(view) < now:
                delete(self.histories, ticket_id, partition)
                self.index.deferred.discard(ticket_id)
                if samples_in(view, self.index.remove(ticket_id)):
                    self.outbox.append((ticket_id, []))
            else:  # news since it was queued: queue it at its real expiry
                self._schedule_expiry(partition, ticket_id, history, view)

    def rebuild(self, partitions: set[int]) -> None:
        """After recovery: derive everything again from the recovered mappings."""
        for _ in self.rebuild_steps(partitions):
            pass

    def rebuild_steps(self, partitions: set[int], step: int = 2000, *,
                      resend: bool = True) -> Iterator[None]:
        """:meth:`rebuild`, yielding every ``step`` tickets to the event loop;
        ``resend``: every ticket's samples go to the team-quantile owner again."""
        self.admission.rebuild(partitions)
        self.index.clear()
        self._retention.clear()
        self._due.clear()
        self.outbox.clear()
        now = self.admission.now()
        if now is not None:
            self.index.advance(now)
        for n, (ticket_id, record) in enumerate(items_as_of_now(self.histories), 1):
            record = upgraded(self.histories, ticket_id, record)
            if record[PART] in partitions:
                history = record[HIST]
                share_strings(history)
                view = view_of(history, self.index.targets)
                counted = record[MARKS] if len(record) > MARKS else ()
                _, facts = self.index.update(ticket_id, view, counted=counted)
                samples = samples_in(view, facts) if resend else None
                if samples:
                    self.outbox.append((ticket_id, samples))
                self._schedule_expiry(record[PART], ticket_id, history, view)
                self._persist_marks()
            if n % step == 0:
                yield
