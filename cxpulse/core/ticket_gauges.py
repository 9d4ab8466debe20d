"""The instant ticket gauges (SPEC §2), kept up to date instead of walked per scrape.

``cx_tickets_open``, ``cx_tickets_in_breach`` and ``cx_oldest_unanswered_ticket_age_seconds``
are sums (and one min) over the tickets of what each ticket contributes at "now". A
ticket's contribution is four flags: open, unanswered, past its first-response
deadline unanswered, past its resolution deadline, all while opened and not resolved.
Each flag is a comparison of "now" with one of the ticket's instants, so the
contribution is constant between them and changes only

- when "now" *reaches* the opening, a transition or the first response
  (``opened > now``, ``is_open_at``, ``responses[0] <= now``: the instant itself already
  counts), or
- when "now" *passes* a deadline (``now > deadline``: the deadline itself does not).

:class:`GaugeIndex` keeps, per label set, the counters and the opened times of the
open unanswered tickets (sorted, for the oldest), applies a ticket's change of
contribution when its view changes (:meth:`update`, :meth:`remove`), and keeps a heap
with each ticket's next change instant, tagged ``AT`` (fires when now >= instant) or
``AFTER`` (fires when now > instant), which :meth:`advance` pops. A read costs
O(label sets); an update or a fired instant O(log tickets + the ticket's history).
Pure: no Faust, no Kafka.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cxpulse.core.sharded import ShardedDict

Labels = tuple[str, str]
"""(channel, priority)."""

# A ticket's contribution, as bits.
OPEN, UNANSWERED, FR_BREACH, RES_BREACH = 1, 2, 4, 8

# How a change instant fires: when now reaches it (now >= x) or passes it (now > x).
AT, AFTER = 0, 1

Due = tuple[float, int, str]
"""A heap entry: (instant, AT | AFTER, ticket id)."""


@dataclass(slots=True)
class TicketGauges:
    """The non-windowed gauges at one instant."""

    open: Counter[Labels]
    in_breach: Counter[tuple[str, str, str]]
    """(sla, channel, priority) -> tickets."""
    oldest_unanswered_age: dict[Labels, float]


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


Deadlines = Callable[[float, str], tuple[float, float]]
"""(opened, priority) -> (first response deadline, resolution deadline)."""


def is_open_at(transitions: Sequence[tuple[float, bool]], instant: float) -> bool:
    """State at ``instant``: after every transition with time <= instant."""
    is_open = True
    for t, is_resolve in transitions:
        if t > instant:
            break
        is_open = not is_resolve
    return is_open


def contribution(view: GaugeView, fr_deadline: float, res_deadline: float,
                 now: float) -> int:
    """The ticket's gauge bits at ``now``."""
    if view.opened > now or not is_open_at(view.transitions, now):
        return 0
    bits = OPEN
    responses = view.responses
    if not (responses and responses[0] <= now):
        bits |= UNANSWERED
        if now > fr_deadline:
            bits |= FR_BREACH
    if now > res_deadline:
        bits |= RES_BREACH
    return bits


def next_change(view: GaugeView, fr_deadline: float, res_deadline: float,
                now: float) -> tuple[float, int] | None:
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
    # (x, AT) comes before (x, AFTER): a deadline wins only when strictly earlier.
    if now <= res_deadline < best:
        best, kind = res_deadline, AFTER
    if first > fr_deadline and now <= fr_deadline < best:  # else answered before it counts
        best, kind = fr_deadline, AFTER
    return None if best == math.inf else (best, kind)


class SortedKeys:
    """Distinct keys, sorted, in sublists of at most 2 * LOAD (add, remove, min in
    O(log n + LOAD) with C-level bisect and list moves; no rebuilds)."""

    __slots__ = ("_lists", "_maxes")

    LOAD = 512

    def __init__(self) -> None:
        self._lists: list[list[tuple[float, str]]] = []
        self._maxes: list[tuple[float, str]] = []

    def __bool__(self) -> bool:
        return bool(self._lists)

    def __len__(self) -> int:
        return sum(len(sub) for sub in self._lists)

    def first(self) -> tuple[float, str]:
        return self._lists[0][0]

    def add(self, key: tuple[float, str]) -> None:
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

    def remove(self, key: tuple[float, str]) -> None:
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
    __slots__ = ("bits", "due", "labels", "opened", "view")

    def __init__(self, view: GaugeView, labels: Labels) -> None:
        self.view = view
        self.labels = labels
        self.opened = view.opened
        self.bits = 0
        """The contribution applied to the counters (at GaugeIndex.now)."""
        self.due: Due | None = None
        """The heap entry of the next change instant (identity marks it live)."""


class GaugeIndex:
    """Per-labels sums of every ticket's contribution at ``now``."""

    def __init__(self, deadlines: Deadlines) -> None:
        self.deadlines = deadlines
        self.now: float | None = None
        self._tickets: ShardedDict[_Ticket] = ShardedDict()
        """Tickets that contribute now or may later (the others are dropped)."""
        self._heap: list[Due] = []
        self._open: Counter[Labels] = Counter()
        self._in_breach: Counter[tuple[str, str, str]] = Counter()
        self._unanswered: dict[Labels, SortedKeys] = {}
        """labels -> (opened, ticket) of its open tickets without a first response."""
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
            self._apply(ticket_id, ticket, ticket.bits, -1)
            ticket.bits = 0
            ticket.view, ticket.labels, ticket.opened = view, labels, view.opened
        if self.now is not None:
            self._refresh(ticket_id, ticket)

    def remove(self, ticket_id: str) -> None:
        """Forget a ticket (its heap entry goes stale)."""
        ticket = self._tickets.pop(ticket_id, None)
        if ticket is not None:
            self._apply(ticket_id, ticket, ticket.bits, -1)

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
        oldest = {labels: now - keys.first()[0]
                  for labels, keys in self._unanswered.items() if keys}
        return TicketGauges(+self._open, +self._in_breach, oldest)

    def __len__(self) -> int:
        return len(self._tickets)

    def _refresh(self, ticket_id: str, ticket: _Ticket) -> None:
        """Make the ticket's applied contribution and heap entry those at ``now``."""
        now = self.now
        assert now is not None
        view = ticket.view
        fr_deadline, res_deadline = self.deadlines(view.opened, view.priority)
        bits = contribution(view, fr_deadline, res_deadline, now)
        old = ticket.bits
        if bits != old:
            self._apply(ticket_id, ticket, old & ~bits, -1)
            self._apply(ticket_id, ticket, bits & ~old, 1)
            ticket.bits = bits
        due = next_change(view, fr_deadline, res_deadline, now)
        if due is None:
            ticket.due = None
            if not bits:
                del self._tickets[ticket_id]
        elif ticket.due is None or ticket.due[:2] != due:
            ticket.due = (*due, ticket_id)
            heapq.heappush(self._heap, ticket.due)

    def _apply(self, ticket_id: str, ticket: _Ticket, bits: int, sign: int) -> None:
        if not bits:
            return
        labels = ticket.labels
        if bits & OPEN:
            self._open[labels] += sign
        if bits & UNANSWERED:
            keys = self._unanswered.get(labels)
            if keys is None:
                keys = self._unanswered[labels] = SortedKeys()
            if sign > 0:
                keys.add((ticket.opened, ticket_id))
            else:
                keys.remove((ticket.opened, ticket_id))
        if bits & FR_BREACH:
            self._in_breach[("first_response", *labels)] += sign
        if bits & RES_BREACH:
            self._in_breach[("resolution", *labels)] += sign
