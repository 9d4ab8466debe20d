"""Contact-center queue arithmetic (SPEC §2, docs/families.md "Contacts").

A contact's history holds its ``queued``, outcome and ``ended`` events. Its facts land
in the bucket of the outcome: an answer (with its wait as a sample, and whether it met
the service-level target) or an abandon that was not a short one; and, in the bucket
of its first ``ended``, its handle time (talk + hold + acw) as a sample. Both need the
``queued`` (its channel labels them): an outcome or an end before it waits for it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from cxpulse.core.dimensions import channel_label
from cxpulse.core.facts import Fact
from cxpulse.core.repeat_contacts import RepeatContacts, contact_hash
from cxpulse.core.sorted_history import KIND, TIME
from cxpulse.core.windows import bucket
from cxpulse.schemas.events import Event

QUEUED, ANSWERED, ABANDONED, ENDED = "q", "a", "x", "e"
"""Entry kinds; "a" < "x" so an answer wins a tie with an abandon."""
CHANNEL, CUSTOMER = 3, 4
"""The fields of a ``QUEUED`` entry after time, kind and id (entries written before
repeat contacts were built have no customer: they count in no repeat)."""
HANDLE_SECONDS = 3
"""The field of an ``ENDED`` entry after time, kind and id: talk + hold + acw."""
OUTCOMES = (ANSWERED, ABANDONED)

# Fact fields: sums, then the wait and handle-time sketches, and the arrivals: a zero
# sample per queued contact in its queued bucket, so that the team-samples owner counts
# the team's arrivals for the staffing hint (a sketch's count is exact).
N_ANSWERED, N_IN_TARGET, N_ABANDONED = 0, 1, 2
WAIT, HANDLE, ARRIVAL = 3, 4, 5


@dataclass(frozen=True, slots=True)
class ContactTargets:
    short_abandon: float = 5.0
    """Abandons after less than this many seconds count in no ratio."""
    service_level: float = 20.0
    """Answers with a wait at most this many seconds meet the service level."""
    staffing_goal: float = 0.8
    """The share answered within ``service_level`` the staffing hint plans for."""
    repeat_window: float = 7 * 86400.0
    """An answered contact is a repeat when its customer had another this recently."""


@dataclass(frozen=True, slots=True)
class QueueEntry:
    channel: str
    queued: float
    left: float | None
    """When the contact left the queue (answered or abandoned), if it did."""


def _first(history: list[list[Any]], kinds: tuple[str, ...]) -> list[Any] | None:
    return next((e for e in history if e[KIND] in kinds), None)


def _split(history: list[list[Any]]) -> tuple[list[Any] | None, list[Any] | None]:
    return _first(history, (QUEUED,)), _first(history, OUTCOMES)


def _answerable_customers(history: list[list[Any]]) -> set[str]:
    """The customers a contact's answer may have been sent under: none without an
    answer in its history, else those its queued events named."""
    if not any(e[KIND] == ANSWERED for e in history):
        return set()
    return {str(e[CUSTOMER]) for e in history if e[KIND] == QUEUED and len(e) > CUSTOMER}


class ContactArithmetic:
    """Entries and facts of ``cx.contacts``; also tracks the queue for the gauges."""

    n_sums = 3
    n_sketches = 3

    def __init__(self, targets: ContactTargets) -> None:
        self.targets = targets
        self.queue: dict[str, QueueEntry] = {}
        self.answers: list[tuple[str, int, float | None, str]] = []
        """(customer, contact hash, answer time or None, channel) to send to the
        customer's owner (:mod:`repeat_contacts`), changed since the agent last sent."""
        self._sent: dict[str, tuple[str, float | None, str]] = {}
        """Per contact, the (customer, answer time, channel) last put in ``answers``."""
        self.repeats: RepeatContacts | None = None
        """The repeats of the customers this worker owns (the collector exports them)."""

    def entry(self, event: Event) -> tuple[str, list[Any]] | None:
        data = event.data
        if event.type == "contact.queued":
            return str(data["contact_id"]), [event.time, QUEUED, event.id,
                                              channel_label(data["channel"]),
                                              str(data["customer_id"])]
        if event.type == "contact.ended":
            # One float, not three: the history keeps what the facts need.
            handle = (float(data["talk_seconds"]) + float(data["hold_seconds"])
                      + float(data["acw_seconds"]))
            return str(data["contact_id"]), [event.time, ENDED, event.id, handle]
        kind = ANSWERED if event.type == "contact.answered" else ABANDONED
        return str(data["contact_id"]), [event.time, kind, event.id]

    def facts(self, history: list[list[Any]]) -> list[Fact]:
        queued, outcome = _split(history)
        if queued is None:
            return []
        labels = (queued[CHANNEL],)
        ended = _first(history, (ENDED,))
        handled: list[Fact] = [] if ended is None else [
            (bucket(ended[TIME]), labels, HANDLE, ended[HANDLE_SECONDS])]
        arrived: Fact = (bucket(queued[TIME]), labels, ARRIVAL, 0.0)
        return [arrived, *self._outcome_facts(queued, outcome, labels), *handled]

    def _outcome_facts(self, queued: list[Any], outcome: list[Any] | None,
                       labels: tuple[str, ...]) -> list[Fact]:
        if outcome is None:
            return []
        b = bucket(outcome[TIME])
        wait = max(0.0, outcome[TIME] - queued[TIME])
        if outcome[KIND] == ANSWERED:
            facts: list[Fact] = [(b, labels, N_ANSWERED, 1), (b, labels, WAIT, wait)]
            if wait <= self.targets.service_level:
                facts.append((b, labels, N_IN_TARGET, 1))
            return facts
        if wait >= self.targets.short_abandon:
            return [(b, labels, N_ABANDONED, 1)]
        return []

    def track(self, key: str, history: list[list[Any]] | None) -> None:
        queued, outcome = _split(history) if history is not None else (None, None)
        if queued is None or history is None:
            self.queue.pop(key, None)
            self._sent.pop(key, None)  # expired: the customer's owner keeps its 7 days
        else:
            left = outcome[TIME] if outcome is not None else None
            self.queue[key] = QueueEntry(queued[CHANNEL], queued[TIME], left)
            if len(queued) > CUSTOMER:
                answered = left if outcome is not None and outcome[KIND] == ANSWERED else None
                self._note_answer(key, (str(queued[CUSTOMER]), answered, queued[CHANNEL]),
                                  history)

    def _note_answer(self, key: str, now: tuple[str, float | None, str],
                     history: list[list[Any]]) -> None:
        before = self._sent.get(key)
        if before == now:
            return
        self._sent[key] = now
        contact = contact_hash(key)
        if before is None:
            # A new contact, or the first news since a rebuild: what an earlier life sent
            # for it is not known. A crash between the history's write and the answers'
            # send must not leave the owner an answer the history has since taken back
            # (overtaken by an earlier abandon, or under a customer an earlier queued
            # event replaced): withdraw every answer the history could have made.
            for customer in _answerable_customers(history):
                if customer != now[0] or now[1] is None:
                    self.answers.append((customer, contact, None, now[2]))
            if now[1] is None:
                return
        elif before[0] != now[0] and before[1] is not None:
            self.answers.append((before[0], contact, None, before[2]))  # moved customer
        self.answers.append((now[0], contact, now[1], now[2]))

    def clear(self) -> None:
        """Before a rebuild: every answer is sent again after it (the owner replaces
        them), so answers lost in a crash are sent; pending ones still go."""
        self.queue.clear()
        self._sent.clear()

    def in_queue(self, now: float) -> tuple[Counter[str], dict[str, float]]:
        """Contacts in queue per channel, and the oldest one's age, at ``now``."""
        counts: Counter[str] = Counter()
        oldest: dict[str, float] = {}
        for key, e in list(self.queue.items()):
            if e.left is not None and e.left <= now:
                del self.queue[key]  # gone for good: nothing moves "now" backwards
                continue
            if e.queued > now:
                continue
            counts[e.channel] += 1
            age = now - e.queued
            if age > oldest.get(e.channel, -1.0):
                oldest[e.channel] = age
        return counts, oldest
