"""The instant ticket gauges (SPEC §2), kept up to date instead of walked per scrape.

``cx_tickets_open``, ``cx_tickets_in_breach``, ``cx_oldest_unanswered_ticket_age_seconds``,
``cx_tickets_paused``, ``cx_sla_at_risk_tickets`` and ``cx_sla_next_breach_seconds`` are
sums (and mins) over the tickets of what each ticket contributes at "now". A ticket's
contribution is a few flags (open, unanswered, paused, past a deadline) and its
*running targets*: (sla, deadline) of each target that can still breach and whose
clock runs now. It is constant between a few instants and changes only

- when "now" *reaches* the opening, a transition, the first response, a pause's start
  or end, a next-reply run's start or end (the instant itself already counts), or
- when "now" *passes* a deadline (``now > deadline``: the deadline itself does not).

:class:`GaugeIndex` keeps, per label set, the counters, the opened times of the open
unanswered tickets, and per SLA the deadlines of the running targets (all sorted),
applies a ticket's change of contribution when its view changes (:meth:`update`,
:meth:`remove`), and keeps a heap with each ticket's next change instant, tagged ``AT``
(fires when now >= instant) or ``AFTER`` (fires when now > instant), which
:meth:`advance` pops. A running target whose deadline "now" passed stays in its sorted
list until the ticket changes again: a read counts only deadlines >= now, by bisection.
So a read costs O(label sets * log tickets); an update or a fired instant O(log
tickets + the ticket's history). Pure: no Faust, no Kafka.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from cxpulse.core.sharded import ShardedDict

Labels = tuple[str, str]
"""(channel, priority)."""

# A ticket's contribution, as bits: counters, then which SLA's target runs (its
# deadline is the view's, or for the next reply the running run's).
OPEN, UNANSWERED, FR_BREACH, RES_BREACH, NR_BREACH, PAUSED = 1, 2, 4, 8, 16, 32
FR_RUNS, RES_RUNS, NR_RUNS = 64, 128, 256

SLA_NAMES = ("first_response", "resolution", "next_reply")
WITHIN: tuple[tuple[str, float], ...] = (("15m", 900.0), ("1h", 3600.0), ("4h", 14400.0))
"""cx_sla_at_risk_tickets' ``within`` label and its seconds (cumulative)."""

# How a change instant fires: when now reaches it (now >= x) or passes it (now > x).
AT, AFTER = 0, 1

_K = TypeVar("_K")

Due = tuple[float, int, str]
"""A heap entry: (instant, AT | AFTER, ticket id)."""


@dataclass(slots=True)
class TicketGauges:
    """The non-windowed gauges at one instant."""

    open: Counter[Labels]
    in_breach: Counter[tuple[str, str, str]]
    """(sla, channel, priority) -> tickets."""
    oldest_unanswered_age: dict[Labels, float]
    paused: Counter[Labels] = field(default_factory=Counter)
    at_risk: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    """(sla, channel, priority, within) -> running targets due within that much."""
    next_breach: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """(sla, channel, priority) -> min over running targets of deadline - now."""


class GaugeView(Protocol):
    """What the gauges read of a ticket (``cxpulse.core.tickets.TicketView``)."""

    @property
    def opened(self) -> float: ...
    @property
    def channel(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def responses(self) -> Sequence[float]: ...
    @property
    def transitions(self) -> Sequence[tuple[float, bool]]:
        """(time, is_resolve), in the contract's order."""
        ...
    @property
    def fr_deadline(self) -> float: ...
    @property
    def res_deadline(self) -> float: ...
    @property
    def pauses(self) -> Sequence[tuple[float, float]]:
        """[a, b) paused intervals, sorted (b = inf: paused still)."""
        ...
    @property
    def runs(self) -> Sequence[tuple[float, float, bool, float]]:
        """Next-reply runs: (start, end, answered, deadline), end = inf while open."""
        ...


def is_open_at(transitions: Sequence[tuple[float, bool]], instant: float) -> bool:
    """State at ``instant``: after every transition with time <= instant."""
    is_open = True
    for t, is_resolve in transitions:
        if t > instant:
            break
        is_open = not is_resolve
    return is_open


def is_paused_at(pauses: Sequence[tuple[float, float]], instant: float) -> bool:
    return any(a <= instant < b for a, b in pauses)


def contribution(view: GaugeView, now: float) -> tuple[int, float | None]:
    """The ticket's gauge bits at ``now``, and the deadline of its running next-reply
    target (None when none runs)."""
    if view.opened > now or not is_open_at(view.transitions, now):
        return 0, None
    bits = OPEN
    nr = None
    responses = view.responses
    if not (responses and responses[0] <= now):
        bits |= UNANSWERED | FR_RUNS
        if now > view.fr_deadline:
            bits |= FR_BREACH
    paused = bool(view.pauses) and is_paused_at(view.pauses, now)
    if paused:
        bits |= PAUSED
    elif view.res_deadline < math.inf:
        bits |= RES_RUNS
    if now > view.res_deadline:
        bits |= RES_BREACH
    for start, end, _, due in view.runs:
        if start <= now < end:
            if now > due:
                bits |= NR_BREACH
            if not paused and due < math.inf:
                bits |= NR_RUNS
                nr = due
            break
    return bits, nr


def next_change(view: GaugeView, now: float) -> tuple[float, int] | None:
    """The first (instant, AT | AFTER) not yet fired at ``now`` at which the
    contribution may change; None when it never will (without a new view)."""
    transitions = view.transitions
    if transitions and transitions[-1][1] and transitions[-1][0] <= now:
        return None  # resolved after its last transition, already: 0 from now on
    best, kind = math.inf, AT
    x = view.opened
    if x > now:
        best = x
    for t, _ in transitions:
        if now < t < best:
            best = t
    responses = view.responses
    first = responses[0] if responses else math.inf
    if now < first < best:
        best = first
    for a, b in view.pauses:
        if now < a < best:
            best = a
        if now < b < best:
            best = b
    for start, end, _, _ in view.runs:
        if now < start < best:
            best = start
        if now < end < best:
            best = end
    # (x, AT) comes before (x, AFTER): a deadline wins only when strictly earlier.
    if now <= view.res_deadline < best:
        best, kind = view.res_deadline, AFTER
    if first > view.fr_deadline and now <= view.fr_deadline < best:  # else answered before
        best, kind = view.fr_deadline, AFTER
    for _, end, _, due in view.runs:
        if end > due and now <= due < best:
            best, kind = due, AFTER
    return None if best == math.inf else (best, kind)


def _last_within(now: float, seconds: float) -> float:
    """The largest deadline d with d - now <= seconds in floating point (SPEC's test),
    which ``now + seconds`` may miss by a rounding step either way."""
    x = now + seconds
    while x - now > seconds:
        x = math.nextafter(x, -math.inf)
    while math.nextafter(x, math.inf) - now <= seconds:
        x = math.nextafter(x, math.inf)
    return x


class SortedFloats:
    """A sorted multiset of floats, in sublists of at most 2 * LOAD (add, remove, min,
    rank in O(log n + LOAD) with C-level bisect and list moves; no rebuilds).

    The gauges only count and take minima, so a ticket's key is its instant alone,
    not (instant, ticket): two tickets with one deadline are two equal entries, and
    removing either one's leaves the same counts. Each entry is then the view's own
    float, 8 bytes of list slot instead of a tuple."""

    __slots__ = ("_lists", "_maxes")

    LOAD = 512

    def __init__(self) -> None:
        self._lists: list[list[float]] = []
        self._maxes: list[float] = []

    def __bool__(self) -> bool:
        return bool(self._lists)

    def __len__(self) -> int:
        return sum(len(sub) for sub in self._lists)

    def first(self) -> float:
        return self._lists[0][0]

    def rank(self, x: float) -> int:
        """How many entries are below ``x``."""
        i = bisect_left(self._maxes, x)
        if i == len(self._lists):
            return len(self)
        return sum(len(sub) for sub in self._lists[:i]) + bisect_left(self._lists[i], x)

    def first_from(self, x: float) -> float | None:
        """The smallest entry at or above ``x``."""
        i = bisect_left(self._maxes, x)
        if i == len(self._lists):
            return None
        sub = self._lists[i]
        return sub[bisect_left(sub, x)]

    def add(self, key: float) -> None:
        lists, maxes = self._lists, self._maxes
        if not maxes:
            lists.append([key])
            maxes.append(key)
            return
        i = bisect_left(maxes, key)
        if i == len(maxes):
            i -= 1
            lists[i].append(key)
            maxes[i] = key
        else:
            insort(lists[i], key)
        sub = lists[i]
        if len(sub) > 2 * self.LOAD:
            half = sub[self.LOAD:]
            del sub[self.LOAD:]
            maxes[i] = sub[-1]
            lists.insert(i + 1, half)
            maxes.insert(i + 1, half[-1])

    def remove(self, key: float) -> None:
        """Remove one entry equal to ``key`` (KeyError when there is none)."""
        lists, maxes = self._lists, self._maxes
        i = bisect_left(maxes, key)
        sub = lists[i] if i < len(lists) else []
        j = bisect_left(sub, key)
        if j == len(sub) or sub[j] != key:
            raise KeyError(key)
        del sub[j]
        if not sub:
            del lists[i]
            del maxes[i]
            return
        maxes[i] = sub[-1]
        if len(sub) < self.LOAD // 4 and len(lists) > 1:  # merge with a neighbour
            k = i if i + 1 < len(lists) else i - 1
            lists[k].extend(lists[k + 1])
            maxes[k] = maxes[k + 1]
            del lists[k + 1]
            del maxes[k + 1]
            if len(lists[k]) > 2 * self.LOAD:
                half = lists[k][self.LOAD:]
                del lists[k][self.LOAD:]
                maxes[k] = lists[k][-1]
                lists.insert(k + 1, half)
                maxes.insert(k + 1, half[-1])


class _Ticket:
    """What is applied for one ticket: read from its view (a new view is applied only
    after the old one's contribution is taken away), so nothing is copied here."""

    __slots__ = ("bits", "due", "labels", "nr_due", "view")

    def __init__(self, view: GaugeView, labels: Labels) -> None:
        self.view = view
        self.labels = labels
        self.bits = 0
        """The contribution applied (at GaugeIndex.now): counters and running targets."""
        self.nr_due: float | None = None
        """The running next-reply target's deadline, when NR_RUNS is applied."""
        self.due: Due | None = None
        """The heap entry of the next change instant (identity marks it live)."""


class GaugeIndex:
    """Per-labels sums of every ticket's contribution at ``now``."""

    def __init__(self) -> None:
        self.now: float | None = None
        self._tickets: ShardedDict[_Ticket] = ShardedDict()
        """Tickets that contribute now or may later (the others are dropped)."""
        self._heap: list[Due] = []
        self._open: Counter[Labels] = Counter()
        self._in_breach: Counter[tuple[str, str, str]] = Counter()
        self._unanswered: dict[Labels, SortedFloats] = {}
        """labels -> the opened times of its open tickets without a first response."""
        self._paused: Counter[Labels] = Counter()
        self._running: dict[tuple[int, Labels], SortedFloats] = {}
        """(sla index, labels) -> the deadlines of the running targets."""
        self._labels: dict[Labels, Labels] = {}
        """One shared tuple per label set."""

    def update(self, ticket_id: str, view: GaugeView) -> None:
        """The ticket's view changed (or is new)."""
        labels = (view.channel, view.priority)
        labels = self._labels.setdefault(labels, labels)
        ticket = self._tickets.get(ticket_id)
        if ticket is None:
            ticket = self._tickets[ticket_id] = _Ticket(view, labels)
        else:
            self._apply(ticket, ticket.bits, -1)
            ticket.bits, ticket.nr_due = 0, None
            ticket.view, ticket.labels = view, labels
        if self.now is not None:
            self._refresh(ticket_id, ticket)

    def remove(self, ticket_id: str) -> None:
        """Forget a ticket (its heap entry goes stale)."""
        ticket = self._tickets.pop(ticket_id, None)
        if ticket is not None:
            self._apply(ticket, ticket.bits, -1)

    def advance(self, now: float) -> None:
        """Move "now" forward; apply every ticket whose contribution changes by then."""
        if self.now is not None and now <= self.now:
            return
        first = self.now is None
        self.now = now
        if first:  # views given before any "now": place them all once
            for ticket_id, placed in list(self._tickets.items()):
                self._refresh(ticket_id, placed)
            return
        heap, tickets = self._heap, self._tickets
        while heap and (heap[0][0] < now or (heap[0][0] == now and heap[0][1] == AT)):
            entry = heapq.heappop(heap)
            ticket = tickets.get(entry[2])
            if ticket is None or ticket.due is not entry:
                continue  # removed, or its view changed since: stale
            ticket.due = None
            self._refresh(entry[2], ticket)

    def read(self) -> TicketGauges:
        """The gauges at ``now``: O(label sets)."""
        now = self.now
        if now is None:
            return TicketGauges(Counter(), Counter(), {})
        oldest = {labels: now - keys.first()
                  for labels, keys in self._unanswered.items() if keys}
        at_risk: Counter[tuple[str, str, str, str]] = Counter()
        next_breach: dict[tuple[str, str, str], float] = {}
        for (sla, labels), keys in self._running.items():
            if not keys:
                continue
            name = SLA_NAMES[sla]
            first = keys.first_from(now)
            if first is None:
                continue  # every deadline kept here has passed: in breach, not at risk
            next_breach[(name, *labels)] = first - now
            below = keys.rank(now)
            for within, seconds in WITHIN:
                n = keys.rank(math.nextafter(_last_within(now, seconds), math.inf)) - below
                if n:
                    at_risk[(name, *labels, within)] = n
        return TicketGauges(+self._open, +self._in_breach, oldest, +self._paused, at_risk,
                            next_breach)

    def __len__(self) -> int:
        return len(self._tickets)

    def _refresh(self, ticket_id: str, ticket: _Ticket) -> None:
        """Make the ticket's applied contribution and heap entry those at ``now``."""
        now = self.now
        assert now is not None
        view = ticket.view
        bits, nr_due = contribution(view, now)
        old = ticket.bits
        if nr_due != ticket.nr_due:  # another run's deadline: re-place it
            self._apply(ticket, old & NR_RUNS, -1)
            old &= ~NR_RUNS
            ticket.nr_due = nr_due
        if bits != old:
            self._apply(ticket, old & ~bits, -1)
            self._apply(ticket, bits & ~old, 1)
        ticket.bits = bits
        due = next_change(view, now)
        if due is None:
            ticket.due = None
            if not bits:
                del self._tickets[ticket_id]
        elif ticket.due is None or ticket.due[:2] != due:
            ticket.due = (*due, ticket_id)
            heapq.heappush(self._heap, ticket.due)

    def _apply(self, ticket: _Ticket, bits: int, sign: int) -> None:
        """Add (or take away) these bits of the ticket's contribution."""
        if not bits:
            return
        labels = ticket.labels
        if bits & OPEN:
            self._open[labels] += sign
        if bits & UNANSWERED:
            self._edit(self._unanswered, labels, ticket.view.opened, sign)
        if bits & FR_BREACH:
            self._in_breach[("first_response", *labels)] += sign
        if bits & RES_BREACH:
            self._in_breach[("resolution", *labels)] += sign
        if bits & NR_BREACH:
            self._in_breach[("next_reply", *labels)] += sign
        if bits & PAUSED:
            self._paused[labels] += sign
        if bits & FR_RUNS:
            self._edit(self._running, (0, labels), ticket.view.fr_deadline, sign)
        if bits & RES_RUNS:
            self._edit(self._running, (1, labels), ticket.view.res_deadline, sign)
        if bits & NR_RUNS:
            assert ticket.nr_due is not None
            self._edit(self._running, (2, labels), ticket.nr_due, sign)

    @staticmethod
    def _edit(sorted_by: dict[_K, SortedFloats], slot: _K, value: float, sign: int) -> None:
        keys = sorted_by.get(slot)
        if keys is None:
            keys = sorted_by[slot] = SortedFloats()
        if sign > 0:
            keys.add(value)
        else:
            keys.remove(value)
