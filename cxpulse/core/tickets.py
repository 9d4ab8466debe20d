"""Ticket arithmetic (SPEC §2): per-ticket history, its facts, and the bucket index.

Design. The only durable state is each ticket's *history*: the set of its events
that matter (open, counted response, resolve, reopen, status change, customer reply),
keyed by event id, so
applying an event twice changes nothing. Everything exported is derived from the
histories: :func:`ticket_facts` turns one history into *facts* (an opening in
bucket b, a first-response sample of 312 s in bucket b', a breach at the deadline's
bucket, …) and :class:`TicketIndex` keeps the sum of all tickets' facts per
1-minute bucket. When a ticket's history changes (an event, even out of order) or
"now" passes one of its deadlines, its old facts are subtracted and the new ones
added. A restarted or rebalanced worker rebuilds the same index from the histories
it recovers, which is why no bucket needs a changelog of its own.

SLA policies (SPEC §2). Deadlines come from :mod:`business_hours`: a priority's
targets count in its schedule (calendar time without one), and the resolution and
next-reply clocks stop while the ticket waits (``sla.pause.statuses``). They are
computed from the ticket's whole history every time it changes, so an event arriving
out of order moves them where they belong; a breach already counted stays counted
(its mark in the ticket's record), while the windowed met/breached follow the
history as finally known.

Next reply, as Zendesk counts it: a customer reply after the ticket's first counted
response opens a *run* (later replies join it: the earliest counts); the next counted
response closes it with a sample and met or breached, a resolution closes it with
neither. Customer replies before the first response are the first response's business.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cxpulse.core.business_hours import Schedule, deadline
from cxpulse.core.dimensions import CHANNELS, PRIORITIES, channel_label, priority_label
from cxpulse.core.instant_queue import InstantQueue
from cxpulse.core.rollup import BucketSums
from cxpulse.core.sharded import ShardedDict
from cxpulse.core.sketch import Sketch
from cxpulse.core.sorted_history import ID, KIND, TIME, insert_once
from cxpulse.core.ticket_gauges import GaugeIndex, TicketGauges
from cxpulse.core.windows import WINDOWS, bucket, oldest_kept_bucket, window_buckets

# Kinds of history entries.
OPENED, RESPONDED, RESOLVED, REOPENED = "o", "r", "R", "O"
STATUS, CUSTOMER_REPLY = "s", "c"
CHANNEL, PRIORITY = 3, 4
"""Fields of an ``OPENED`` entry after time, kind and id."""
STATUS_VALUE = 3
"""The field of a ``STATUS`` entry after time, kind and id (the other kinds have none)."""
_KIND_ORDER = {OPENED: 0, RESPONDED: 1, RESOLVED: 2, REOPENED: 3, STATUS: 4, CUSTOMER_REPLY: 5}
"""At one instant: a response before a resolution, a reopen before a customer reply
(a reply that reopens a solved ticket starts a next-reply clock on an open ticket)."""

# Fact fields: indexes into BucketTotals.counts, or a sample kind.
N_OPENED, N_RESOLVED, N_REOPENED, N_FCR = 0, 1, 2, 3
N_FR_MET, N_FR_BREACHED, N_RES_MET, N_RES_BREACHED = 4, 5, 6, 7
N_NR_MET, N_NR_BREACHED = 8, 9
_N_COUNTS = 10
FR_SAMPLE, RES_SAMPLE, NR_SAMPLE = 10, 11, 12

SLAS = ("first_response", "resolution", "next_reply")
MET_BREACHED = ((N_FR_MET, N_FR_BREACHED), (N_RES_MET, N_RES_BREACHED),
                (N_NR_MET, N_NR_BREACHED))
"""Per SLA (in :data:`SLAS` order), its met and breached count fields."""

HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class SlaTargets:
    """The SLA policy: seconds of counted time to each deadline, per priority (``other``
    uses normal), the schedule each priority counts in (calendar time when absent), and
    the statuses that pause the resolution and next-reply clocks."""

    first_response: Mapping[str, float] = field(
        default_factory=lambda: {"urgent": 0.25 * HOUR, "high": HOUR, "normal": 4 * HOUR,
                                 "low": 24 * HOUR})
    resolution: Mapping[str, float] = field(
        default_factory=lambda: {"urgent": 4 * HOUR, "high": 24 * HOUR, "normal": 72 * HOUR,
                                 "low": 168 * HOUR})
    next_reply: Mapping[str, float] = field(
        default_factory=lambda: {"urgent": HOUR, "high": 4 * HOUR, "normal": 8 * HOUR,
                                 "low": 24 * HOUR})
    schedules: Mapping[str, Schedule | None] = field(default_factory=dict)
    pause_statuses: frozenset[str] = frozenset({"pending", "on_hold"})

    def of(self, priority: str) -> tuple[Schedule | None, float, float, float]:
        """A priority's schedule and its first response, resolution and next reply
        targets (``other`` and any unknown priority use normal's)."""
        p = priority if priority in self.first_response else "normal"
        return self.schedules.get(p), self.first_response[p], self.resolution[p], \
            self.next_reply[p]

    def deadlines(self, opened: float, priority: str) -> tuple[float, float]:
        """(first response deadline, resolution deadline) of a ticket that never pauses."""
        schedule, first_response, resolution, _ = self.of(priority)
        return (_deadline(schedule, opened, first_response, ()),
                _deadline(schedule, opened, resolution, ()))


def _deadline(schedule: Schedule | None, start: float, target: float,
              paused: list[tuple[float, float]] | tuple[()]) -> float:
    if schedule is None and not paused:
        return start + target  # calendar time, no pause: the common case, kept cheap
    return deadline(schedule, start, target, paused)


DEFAULT_TARGETS = SlaTargets()


# ---------------------------------------------------------------- history


def history_entry(event_type: str, event_id: str, time: float,
                  data: Mapping[str, Any]) -> list[Any] | None:
    """The history entry an event adds, or None when it cannot change any metric."""
    if event_type == "ticket.opened":
        return [time, OPENED, event_id, channel_label(data["channel"]),
                priority_label(data["priority"])]
    if event_type == "ticket.responded":
        if data.get("public", True) is False or data.get("by", "agent") == "bot":
            return None
        return [time, RESPONDED, event_id]
    if event_type == "ticket.resolved":
        return [time, RESOLVED, event_id]
    if event_type == "ticket.reopened":
        return [time, REOPENED, event_id]
    if event_type == "ticket.status_changed":
        return [time, STATUS, event_id, str(data["status"])]
    if event_type == "ticket.customer_replied":
        return [time, CUSTOMER_REPLY, event_id]
    raise ValueError(f"not a ticket event: {event_type}")


def entry_order(entry: list[Any]) -> tuple[float, int, str]:
    return entry[TIME], _KIND_ORDER[entry[KIND]], entry[ID]


_KIND_OF = {kind: kind for kind in _KIND_ORDER}


def share_strings(history: list[list[Any]]) -> None:
    """Point a recovered history's kinds and labels at the shared constants: the
    changelog's decoder gives every entry its own copies (about 150 bytes per ticket);
    the values do not change, so neither does the record."""
    for entry in history:
        kind = entry[KIND] = _KIND_OF.get(entry[KIND], entry[KIND])
        if kind == OPENED and len(entry) > PRIORITY:
            entry[CHANNEL] = channel_label(entry[CHANNEL])
            entry[PRIORITY] = priority_label(entry[PRIORITY])


def add_to_history(history: list[list[Any]], entry: list[Any]) -> bool:
    """Insert ``entry`` in order; False (and no change) when it is already there."""
    return insert_once(history, entry, entry_order)


@dataclass(slots=True)
class TicketView:
    """A ticket's history, parsed for the arithmetic. Empty sequences are the shared
    ``()``: most open tickets have no response or transition yet."""

    opened: float
    channel: str
    priority: str
    responses: Sequence[float]
    transitions: Sequence[tuple[float, bool]]
    """(time, is_resolve), in the contract's order."""
    last_time: float
    fr_deadline: float
    res_deadline: float
    """``inf`` while a pause without end comes before it: a paused target has none."""
    pauses: list[tuple[float, float]] | tuple[()] = ()
    """Paused intervals [a, b), sorted and disjoint (b = inf: still paused)."""
    runs: list[Run] | tuple[()] = ()
    """The next-reply runs, in order."""
    applied: float = -math.inf
    """The "now" at which :class:`TicketIndex` applied this view's facts: they are
    computed again from it to be subtracted, instead of being kept per ticket."""


Run = tuple[float, float, bool, float]
"""A next-reply run: (start, end, ended by a response, deadline); end = inf while open,
and a run ended by a resolution has no sample."""

_EMPTY: tuple[()] = ()
INF = math.inf


def view_of(history: Iterable[list[Any]],
            policy: SlaTargets = DEFAULT_TARGETS) -> TicketView | None:
    """Parse a (sorted) history; None while the ticket has no ``ticket.opened``."""
    opened: list[Any] | None = None
    responses: list[float] = []
    transitions: list[tuple[float, bool]] = []
    pauses: list[tuple[float, float]] = []
    runs: list[tuple[float, float, bool]] = []
    paused_since: float | None = None
    run_start: float | None = None
    is_open = True
    last = -INF
    for entry in history:
        t, kind = entry[TIME], entry[KIND]
        if t > last:
            last = t
        resumes = False  # open, a customer reply or a reopen ends a pause
        if kind == OPENED:
            if opened is None:
                opened = entry
        elif kind == RESPONDED:
            responses.append(t)
            if run_start is not None:
                runs.append((run_start, t, True))
                run_start = None
        elif kind in (RESOLVED, REOPENED):
            transitions.append((t, kind == RESOLVED))
            if kind == RESOLVED:
                if is_open and run_start is not None:
                    runs.append((run_start, t, False))
                    run_start = None
                is_open = False
            else:
                is_open = resumes = True
        elif kind == STATUS:
            if entry[STATUS_VALUE] not in policy.pause_statuses:
                resumes = True
            elif paused_since is None:
                paused_since = t
        else:  # a customer reply: may open a next-reply run
            resumes = True
            if responses and run_start is None:
                run_start = t
        if resumes and paused_since is not None:
            pauses.append((paused_since, t))
            paused_since = None
    if opened is None:
        return None
    if paused_since is not None:
        pauses.append((paused_since, INF))
    if run_start is not None:
        runs.append((run_start, INF, False))
    priority = opened[PRIORITY]
    schedule, first_response, resolution, next_reply = policy.of(priority)
    t0 = opened[TIME]
    paused_intervals = pauses or ()
    return TicketView(t0, opened[CHANNEL], priority, responses or _EMPTY,
                      transitions or _EMPTY, last,
                      _deadline(schedule, t0, first_response, ()),
                      _deadline(schedule, t0, resolution, paused_intervals), paused_intervals,
                      [(a, b, answered, _deadline(schedule, a, next_reply, paused_intervals))
                       for a, b, answered in runs] if runs else _EMPTY)


def is_open_at(view: TicketView, instant: float) -> bool:
    """State at ``instant``: after every transition with time <= instant."""
    is_open = True
    for t, is_resolve in view.transitions:
        if t > instant:
            break
        is_open = not is_resolve
    return is_open


def is_closed_for_good(view: TicketView) -> bool:
    """Resolved after its last transition: nothing will change until a reopen arrives."""
    return bool(view.transitions) and not is_open_at(view, view.transitions[-1][0])


# ---------------------------------------------------------------- facts

Fact = tuple[int, int, float]
"""(bucket, field, value): value is 1 for counts, seconds for samples."""


def ticket_facts(view: TicketView, now: float) -> tuple[list[Fact], list[float]]:
    """Everything one ticket contributes to the buckets as of ``now``.

    Returns the facts and the *pending instants*: times after ``now`` at which the
    facts will change by themselves (a deadline or a reopen not yet passed). The value
    of an ``N_NR_BREACHED`` fact is the run's ordinal (which breach mark it is), not a
    weight.
    """
    t0 = view.opened
    fr_deadline, res_deadline = view.fr_deadline, view.res_deadline
    facts: list[Fact] = [(bucket(t0), N_OPENED, 1)]
    pending = [t for t in (fr_deadline, res_deadline) if now <= t < INF]

    first = view.responses[0] if view.responses else None
    if first is not None:
        facts.append((bucket(first), FR_SAMPLE, max(0.0, first - t0)))
    if first is not None and first <= fr_deadline:
        facts.append((bucket(first), N_FR_MET, 1))
    elif fr_deadline < now and is_open_at(view, fr_deadline):
        facts.append((bucket(fr_deadline), N_FR_BREACHED, 1))

    is_open = True
    reopened = False
    resolutions = 0
    res_breach_at = res_deadline if is_open_at(view, res_deadline) else None
    for t, is_resolve in view.transitions:
        if is_resolve and is_open:
            is_open = False
            resolutions += 1
            b = bucket(t)
            facts.append((b, N_RESOLVED, 1))
            facts.append((b, RES_SAMPLE, max(0.0, t - t0)))
            if not reopened and bisect.bisect_right(view.responses, t) == 1:
                facts.append((b, N_FCR, 1))
            if resolutions == 1 and t <= res_deadline:
                facts.append((b, N_RES_MET, 1))
        elif not is_resolve and not is_open:
            is_open = True
            reopened = True
            facts.append((bucket(t), N_REOPENED, 1))
            if res_breach_at is None and t >= res_deadline:
                res_breach_at = t
            if t >= now:
                pending.append(t)
    if res_breach_at is not None and res_breach_at < now:
        facts.append((bucket(res_breach_at), N_RES_BREACHED, 1))
    for k, (start, end, answered, due) in enumerate(view.runs):
        if answered:
            b = bucket(end)
            facts.append((b, NR_SAMPLE, max(0.0, end - start)))
            if end <= due:
                facts.append((b, N_NR_MET, 1))
                continue
        if due < now and end > due and is_open_at(view, due):
            facts.append((bucket(due), N_NR_BREACHED, k))
        elif now <= due < INF:
            pending.append(due)
    return facts, pending


# ---------------------------------------------------------------- index


class BucketTotals:
    """Sums of facts for one (bucket or window, channel, priority)."""

    __slots__ = ("counts", "first_response", "next_reply", "resolution")

    def __init__(self) -> None:
        self.counts = [0] * _N_COUNTS
        self.first_response = Sketch()
        self.resolution = Sketch()
        self.next_reply = Sketch()

    def add(self, fact_field: int, value: float, weight: int) -> None:
        if fact_field == FR_SAMPLE:
            self.first_response.add(value, weight)
        elif fact_field == RES_SAMPLE:
            self.resolution.add(value, weight)
        elif fact_field == NR_SAMPLE:
            self.next_reply.add(value, weight)
        else:
            self.counts[fact_field] += weight

    def merge(self, other: BucketTotals) -> None:
        for i, n in enumerate(other.counts):
            self.counts[i] += n
        self.first_response.merge(other.first_response)
        self.resolution.merge(other.resolution)
        self.next_reply.merge(other.next_reply)


Labels = tuple[str, str]
"""(channel, priority)."""


@dataclass(slots=True)
class TicketSnapshot:
    """Everything the exporter needs, computed at ``now``."""

    now: float
    windows: dict[str, dict[Labels, BucketTotals]]
    gauges: TicketGauges
    breaches: Counter[tuple[str, str, str]]


def samples_in(view: TicketView | None, facts: list[Fact]) -> list[list[Any]]:
    """A ticket's duration samples among its facts, as :mod:`team_quantiles` sends
    them: ``[bucket, [channel, priority], sample kind, seconds]``."""
    if view is None:
        return []
    return [[b, [view.channel, view.priority], fact_field - FR_SAMPLE, value]
            for b, fact_field, value in facts if fact_field >= FR_SAMPLE]


ALL_LABELS: tuple[Labels, ...] = tuple((c, p) for c in CHANNELS for p in PRIORITIES)


class TicketIndex:
    """The sum of every ticket's facts per bucket, plus what the gauges need."""

    def __init__(self, targets: SlaTargets) -> None:
        self.targets = targets
        self.breaches: Counter[tuple[str, str, str]] = Counter()
        """cx_sla_breaches_total: the breaches this process counted."""
        self.new_marks: list[tuple[str, str]] = []
        """(ticket, sla) marked as counted since the owner last persisted the marks."""
        self.deferred: set[str] = set()
        """Tickets whose update waits for the end of a batch: their deadlines do not
        fire from a stale view meanwhile."""
        self.clear()

    def clear(self) -> None:
        """Forget every ticket (before a rebuild); the breach counter keeps counting."""
        self.now: float | None = None
        self._floor = -1
        """The oldest bucket kept: the buckets before it are dropped."""
        self.sums: BucketSums[Labels, BucketTotals] = BucketSums(BucketTotals)
        self._views: ShardedDict[TicketView] = ShardedDict()
        """ticket -> its view as last applied (with the "now" its facts were applied at)."""
        self._gauges = GaugeIndex()
        """The instant gauges (backlog, in breach, paused, at risk, …): kept per ticket."""
        self._pending = InstantQueue()
        """(instant, ticket): each ticket's next pending instant (older entries may
        linger: one popped after its ticket changed only recomputes the same facts)."""
        self._counted: dict[str, set[str]] = {}
        """ticket -> the SLAs whose breach has been counted (by any process)."""

    def update(self, ticket_id: str, view: TicketView | None,
               counted: Iterable[str] | None = None) -> tuple[list[Fact], list[Fact]]:
        """Replace a ticket's contribution; return its facts (before, after).
        ``counted``: the SLAs whose breach some process already counted (the marks
        kept in the ticket's record), when the ticket comes back after a restart or a
        rebalance."""
        if view is None:
            return self.remove(ticket_id), []
        if counted:  # kept only for tickets with a counted breach (most have none)
            self._counted[ticket_id] = set(counted)
        now = self.now if self.now is not None else view.last_time
        facts, pending = ticket_facts(view, now)
        labels = (view.channel, view.priority)
        old_view = self._views.get(ticket_id)
        old_facts: list[Fact] = []
        old_next = None
        if old_view is not None:
            old_facts, old_pending = ticket_facts(old_view, old_view.applied)
            self._apply((old_view.channel, old_view.priority), old_facts, -1)
            old_next = min(old_pending, default=None)
        self._apply(labels, facts, 1)
        self._count_new_breaches(ticket_id, labels, facts)
        view.applied = now
        self._views[ticket_id] = view
        self._gauges.update(ticket_id, view)
        next_instant = min(pending, default=None)
        if next_instant is not None and next_instant != old_next:
            self._pending.push(next_instant, ticket_id)
        return old_facts, facts

    def view(self, ticket_id: str) -> TicketView | None:
        """The ticket's view as last applied."""
        return self._views.get(ticket_id)

    def remove(self, ticket_id: str) -> list[Fact]:
        """Forget a ticket (its history expired); return the facts it had."""
        old = self._views.pop(ticket_id, None)
        facts: list[Fact] = []
        if old is not None:
            facts = ticket_facts(old, old.applied)[0]
            self._apply((old.channel, old.priority), facts, -1)
        self._gauges.remove(ticket_id)
        self._counted.pop(ticket_id, None)
        return facts

    def advance(self, now: float) -> None:
        """Move "now" forward: fire due deadlines and drop buckets no window needs."""
        if self.now is not None and now <= self.now:
            return
        self.now = now
        self._gauges.advance(now)
        for ticket_id in self._pending.pop_before(now):
            view = self._views.get(ticket_id)
            if view is not None and ticket_id not in self.deferred:
                self.update(ticket_id, view)
        floor = oldest_kept_bucket(now)
        if floor > self._floor:  # once a minute of event time, not at every event
            self._floor = floor
            self.sums.drop_before(floor)

    def _apply(self, labels: Labels, facts: list[Fact], weight: int) -> None:
        floor = oldest_kept_bucket(self.now) if self.now is not None else None
        for b, fact_field, value in facts:
            if floor is not None and b < floor:
                continue  # the bucket is gone (or never kept): the event was late
            self.sums.at(b, labels).add(fact_field, value, weight)

    def _count_new_breaches(self, ticket_id: str, labels: Labels, facts: list[Fact]) -> None:
        """Count each SLA breach of a ticket once, over every process (SPEC §3).

        A breach is marked counted in the ticket's record (``new_marks``, persisted
        by the owner with the ticket), so a worker that takes the ticket over after a
        rebalance or a restart counts the breaches that fell due while nobody
        watched, and none that another process already counted. A breach older than
        the kept day (history read by a new deployment) is marked but not counted:
        no page fires for it.
        """
        floor = oldest_kept_bucket(self.now) if self.now is not None else None
        for b, fact_field, value in facts:
            if fact_field == N_FR_BREACHED:
                sla = mark = "first_response"
            elif fact_field == N_RES_BREACHED:
                sla = mark = "resolution"
            elif fact_field == N_NR_BREACHED:
                sla, mark = "next_reply", f"next_reply:{int(value)}"  # one per run
            else:
                continue
            counted = self._counted.setdefault(ticket_id, set())
            if mark in counted:
                continue
            counted.add(mark)
            self.new_marks.append((ticket_id, mark))
            if floor is None or b >= floor:
                self.breaches[(sla, *labels)] += 1

    def prepare_windows(self) -> Iterator[None]:
        """The next snapshot's windows, in steps (:meth:`BucketSums.prepare_steps`)."""
        if self.now is not None:
            yield from self.sums.prepare_steps(window_buckets(self.now, size)
                                               for size in WINDOWS.values())

    def snapshot(self) -> TicketSnapshot | None:
        """Windows and gauges at the current "now"; None before any event."""
        now = self.now
        if now is None:
            return None
        windows = {name: self.sums.window(window_buckets(now, size))
                   for name, size in WINDOWS.items()}
        return TicketSnapshot(now, windows, self._gauges.read(), Counter(self.breaches))
