"""The whole ticket pipeline of one worker, over injected mappings (no Faust).

A worker gives it Faust tables; tests and replays give it dicts. Per ticket the
``histories`` mapping keeps ``{"p": partition, "h": history}``; the index is
derived from it and rebuilt after every recovery.

Expiry, in event time (by the watermark): a ticket resolved for good (or never
opened) is forgotten ``retention`` after its last event; one still open (it never
closed), ``max_open_age`` after its last event, so state stays bounded whatever
upstream forgets to send.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from cxpulse.core.admission import Admission
from cxpulse.core.expiry import ExpiryQueue
from cxpulse.core.tickets import (
    SlaTargets,
    TicketIndex,
    TicketView,
    add_to_history,
    history_entry,
    is_closed_for_good,
    view_of,
)
from schemas.events import Event, Rejection


class TicketFamily:
    """Admission, histories and the index of ``cx.tickets``."""

    def __init__(self, admission: Admission, histories: MutableMapping[str, Any],
                 targets: SlaTargets, retention: float,
                 max_open_age: float = 90 * 86400.0) -> None:
        self.admission = admission
        self.histories = histories
        self.retention = retention
        self.max_open_age = max_open_age
        self.index = TicketIndex(targets)
        self._retention = ExpiryQueue()
        self._due: dict[str, float] = {}
        """ticket -> its earliest queued expiry (one live queue entry per ticket)."""
        self.outbox: list[tuple[str, list[list[Any]]]] = []
        """(ticket, its duration samples) to send to the team-quantile owner."""

    def handle(self, raw: bytes | None, partition: int) -> Rejection | None:
        """Process one message of ``partition``; return the rejection to dead-letter."""
        result = self.admission.admit(raw, partition)
        now = self.admission.now()
        if now is not None:
            self.index.advance(now)
        if isinstance(result, Event):
            self._apply(result, partition)
        self._expire(partition)
        return result if isinstance(result, Rejection) else None

    def tick(self, now: float) -> None:
        """Live clock: let deadlines fire although no event arrives."""
        self.index.advance(now)

    def _apply(self, event: Event, partition: int) -> None:
        entry = history_entry(event.type, event.id, event.time, event.data)
        if entry is None:
            return
        ticket_id = str(event.data["ticket_id"])
        record = self.histories.get(ticket_id)
        history: list[list[Any]] = list(record["h"]) if record else []
        if not add_to_history(history, entry):
            return
        self.histories[ticket_id] = {"p": partition, "h": history}
        view = view_of(history)
        before = self.index.samples_of(ticket_id)
        self.index.update(ticket_id, view)
        after = self.index.samples_of(ticket_id)
        if after != before:
            self.outbox.append((ticket_id, after))
        self._schedule_expiry(partition, ticket_id, history, view)

    def _keep_for(self, view: TicketView | None) -> float:
        return self.retention if view is None or is_closed_for_good(view) else self.max_open_age

    def _schedule_expiry(self, partition: int, ticket_id: str, history: list[list[Any]],
                         view: TicketView | None) -> None:
        due = max(e[0] for e in history) + self._keep_for(view)
        queued = self._due.get(ticket_id)
        if queued is None or due < queued:  # a later due is found when the earlier pops
            self._due[ticket_id] = due
            self._retention.push(partition, due, ticket_id)

    def _expire(self, partition: int) -> None:
        """Drop histories idle for longer than their retention (see the module doc)."""
        self.admission.expire(partition)
        now = self.admission.watermark.value()
        if now is None:
            return
        for ticket_id in list(self._retention.pop_due(partition, now)):
            if self._due.get(ticket_id, now) >= now:
                continue  # superseded by an earlier entry that already ran
            del self._due[ticket_id]
            record = self.histories.get(ticket_id)
            if record is None:
                continue
            history = record["h"]
            view = view_of(history)
            if max(e[0] for e in history) + self._keep_for(view) < now:
                del self.histories[ticket_id]
                if self.index.samples_of(ticket_id):
                    self.outbox.append((ticket_id, []))
                self.index.remove(ticket_id)
            else:  # news since it was queued: queue it at its real expiry
                self._schedule_expiry(partition, ticket_id, history, view)

    def rebuild(self, partitions: set[int]) -> None:
        """After recovery: derive everything again from the recovered mappings."""
        self.admission.rebuild(partitions)
        self.index.clear()
        self._retention.clear()
        self._due.clear()
        self.outbox.clear()
        now = self.admission.now()
        if now is not None:
            self.index.advance(now)
        for ticket_id, record in self.histories.items():
            if record["p"] in partitions:
                view = view_of(record["h"])
                self.index.update(ticket_id, view, live=False)
                self._schedule_expiry(record["p"], ticket_id, record["h"], view)
