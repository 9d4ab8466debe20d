"""Deliberately naive reference for the ticket metrics of SPEC.md §1 and §2.

Used by tests to check the streaming implementation. It is written independently of
``cxpulse`` and trades every bit of speed for obviousness: no incremental state, no
buckets kept as data structures, no sketches. For every window and every label set it
loops over all tickets and tests the conditions directly; quantiles sort the samples
and index them.

Conventions (taken as given; see the module's tests for hand-worked examples):

* channel ∈ email, chat, phone, social, web, other; priority ∈ urgent, high, normal,
  low, other (anything else → ``other``; ``other`` uses the ``normal`` SLA targets).
* Events are deduplicated by ``id``: the first occurrence by position wins.
* A ticket's opened time, channel and priority come from its ``ticket.opened`` with
  the earliest time (ties: smallest event id); a ticket without one counts nowhere.
* Counted response: ``ticket.responded`` with ``public`` not False and ``by`` != "bot".
* ``ticket.resolved`` / ``ticket.reopened`` are applied in (time, resolved first, id)
  order to a state that starts ``open``; a resolve while open is a resolution, a
  reopen while resolved is a reopen, anything else is ignored. The state at an
  instant X is the state after every transition with time ≤ X.
* bucket(t) = floor(t / 60); a window of S minutes covers buckets b with
  floor(now / 60) - S < b ≤ floor(now / 60).
* Gauges "at now" only use events with time ≤ now.

Events that miss a field SPEC §1 marks as required (or whose ``time`` does not parse)
are bad events: they are dropped before deduplication, as the processor sends them to
the dead-letter topic instead of counting them.

SLA policies (only when ``policy=`` is given; without it the output is exactly the
calendar-time, never-pausing one above and the new event types are unknown types):

* ``policy`` is the parsed TOML document: ``sla.first_response`` / ``sla.resolution`` /
  ``sla.next_reply`` {priority: "30m" | "4h" | "90s" | "1d" | seconds},
  ``sla.schedule`` {priority: schedule name}, ``sla.pause.statuses`` (default pending,
  on_hold), ``schedules.<name>`` (timezone, mon..sun ["HH:MM-HH:MM"], holidays,
  partial_holidays). Targets: defaults, then the policy, then the explicit arguments.
* A ticket's events are ordered by (time, rank, id), rank opened 0, responded 1,
  resolved 2, reopened 3, status_changed 4, customer_replied 5.
* Paused intervals come from the whole history (status in the pause set pauses; any
  other status, a customer reply or a reopen resumes); "paused now" from events <= now.
* A deadline is found by walking second by second from its start, counting the time
  that is inside the schedule's open intervals and outside the paused intervals.
* Next-reply runs start at a customer reply after a counted response (none open) and
  end at the next counted response (sample, met iff <= deadline) or resolution.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "CHANNELS",
    "DEFAULT_FIRST_RESPONSE_TARGETS",
    "DEFAULT_NEXT_REPLY_TARGETS",
    "DEFAULT_RESOLUTION_TARGETS",
    "POLICY_SLAS",
    "PRIORITIES",
    "QUANTILES",
    "SLAS",
    "WINDOWS",
    "WITHIN",
    "MetricKey",
    "expected_ticket_metrics",
    "parse_duration",
    "parse_time",
]

MetricKey = tuple[str, tuple[tuple[str, str], ...]]

CHANNELS: tuple[str, ...] = ("email", "chat", "phone", "social", "web", "other")
PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low", "other")
WINDOWS: tuple[tuple[str, int], ...] = (("5m", 5), ("1h", 60), ("24h", 1440))
SLAS: tuple[str, ...] = ("first_response", "resolution")
POLICY_SLAS: tuple[str, ...] = ("first_response", "resolution", "next_reply")
WITHIN: tuple[tuple[str, int], ...] = (("15m", 900), ("1h", 3600), ("4h", 14400))
QUANTILES: tuple[str, ...] = ("0.5", "0.9", "0.99")

DEFAULT_FIRST_RESPONSE_TARGETS: Mapping[str, float] = {
    "urgent": 15 * 60.0,
    "high": 60 * 60.0,
    "normal": 4 * 3600.0,
    "low": 24 * 3600.0,
}
DEFAULT_RESOLUTION_TARGETS: Mapping[str, float] = {
    "urgent": 4 * 3600.0,
    "high": 24 * 3600.0,
    "normal": 72 * 3600.0,
    "low": 168 * 3600.0,
}
DEFAULT_NEXT_REPLY_TARGETS: Mapping[str, float] = {
    "urgent": 1 * 3600.0,
    "high": 4 * 3600.0,
    "normal": 8 * 3600.0,
    "low": 24 * 3600.0,
}
DEFAULT_PAUSE_STATUSES: tuple[str, ...] = ("pending", "on_hold")

_REQUIRED_DATA: Mapping[str, tuple[str, ...]] = {
    "ticket.opened": ("ticket_id", "customer_id", "channel", "priority"),
    "ticket.responded": ("ticket_id", "agent_id"),
    "ticket.resolved": ("ticket_id", "agent_id"),
    "ticket.reopened": ("ticket_id",),
}
_POLICY_REQUIRED_DATA: Mapping[str, tuple[str, ...]] = {
    **_REQUIRED_DATA,
    "ticket.status_changed": ("ticket_id", "status"),
    "ticket.customer_replied": ("ticket_id",),
}
_RANK: Mapping[str, int] = {
    "ticket.opened": 0,
    "ticket.responded": 1,
    "ticket.resolved": 2,
    "ticket.reopened": 3,
    "ticket.status_changed": 4,
    "ticket.customer_replied": 5,
}
INF = float("inf")

_RESOLVED = 0  # sorts before _REOPENED at equal time
_REOPENED = 1


def parse_time(text: str) -> float:
    """RFC 3339 → Unix seconds (a time without offset is taken as UTC)."""
    moment = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _bucket(t: float) -> int:
    # Exact floor(t / 60): Fraction(float) is exact, so no rounding at a minute's edge.
    return math.floor(Fraction(t) / 60)


def _in_window(t: float, now: float, size_minutes: int) -> bool:
    now_bucket = _bucket(now)
    return now_bucket - size_minutes < _bucket(t) <= now_bucket


def _channel_label(value: object) -> str:
    if isinstance(value, str) and value in CHANNELS:
        return value
    return "other"


def _priority_label(value: object) -> str:
    if isinstance(value, str) and value in PRIORITIES:
        return value
    return "other"


def _key(name: str, **labels: str) -> MetricKey:
    return (name, tuple(sorted(labels.items())))


def parse_duration(value: object) -> float:
    """Durations "30m", "4h", "90s", "1d" (chained: "1h30m"), or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"bad duration {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"bad duration {value!r}")
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = value.strip().lower()
    total = 0.0
    number = ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            raise ValueError(f"bad duration {value!r}")
    if number:
        raise ValueError(f"bad duration {value!r}")
    return total


_WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _parse_clock(text: str) -> tuple[int, int]:
    hours, minutes = text.strip().split(":")
    return int(hours), int(minutes)


def _parse_interval(text: str) -> tuple[tuple[int, int], tuple[int, int]]:
    start, end = text.split("-")
    return _parse_clock(start), _parse_clock(end)


def _wall_to_instant(zone: ZoneInfo, day: date, clock: tuple[int, int]) -> int:
    """The first instant whose local wall clock reads ``day clock`` or later."""
    wall = datetime.combine(day, time()) + timedelta(hours=clock[0], minutes=clock[1])
    candidates = []
    for fold in (0, 1):
        instant = int(wall.replace(tzinfo=zone, fold=fold).timestamp())
        if datetime.fromtimestamp(instant, zone).replace(tzinfo=None) == wall:
            candidates.append(instant)
    if candidates:
        return min(candidates)  # ambiguous (fall back): the first occurrence
    # In a spring-forward gap: walk second by second to where the gap ends.
    instant = min(int(wall.replace(tzinfo=zone, fold=fold).timestamp()) for fold in (0, 1))
    while datetime.fromtimestamp(instant, zone).replace(tzinfo=None) < wall:
        instant += 1
    return instant


class _Schedule:
    """Weekly opening intervals in a zone, with holidays; answers "is second n open"."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.zone = ZoneInfo(str(raw.get("timezone", "UTC")))
        self.week: dict[int, list[str]] = {
            i: [str(x) for x in raw.get(name, [])] for i, name in enumerate(_WEEKDAYS)
        }
        self.holidays = {date.fromisoformat(str(d)) for d in raw.get("holidays", [])}
        self.partial: dict[date, list[str]] = {
            date.fromisoformat(str(d)): [str(x) for x in spans]
            for d, spans in dict(raw.get("partial_holidays", {})).items()
        }
        self.never_open = not any(self.week.values()) and not any(self.partial.values())
        self._days: dict[date, list[tuple[int, int]]] = {}

    def intervals(self, day: date) -> list[tuple[int, int]]:
        """The open intervals [a, b) (Unix seconds) that start on this local date."""
        if day in self._days:
            return self._days[day]
        found: list[tuple[int, int]] = []
        if day not in self.holidays:
            spans = self.partial[day] if day in self.partial else self.week[day.weekday()]
            for span in spans:
                start, end = _parse_interval(span)
                a = _wall_to_instant(self.zone, day, start)
                if end > start:
                    b = _wall_to_instant(self.zone, day, end)
                else:  # overnight: ends on the next day
                    nxt = day + timedelta(days=1)
                    b = _wall_to_instant(self.zone, nxt, end)
                    if nxt in self.holidays or nxt in self.partial:  # its own hours
                        b = min(b, _wall_to_instant(self.zone, nxt, (0, 0)))
                if b > a:
                    found.append((a, b))
        self._days[day] = found
        return found

    def bounds_after(self, second: int) -> list[int]:
        """Interval bounds after ``second`` of the intervals of the days around it."""
        today = datetime.fromtimestamp(second, self.zone).date()
        return [x for d in range(-1, 3) for ab in self.intervals(today + timedelta(days=d))
                for x in ab if x > second]

    def is_open(self, second: int) -> bool:
        today = datetime.fromtimestamp(second, self.zone).date()
        for day in (today - timedelta(days=1), today):
            for a, b in self.intervals(day):
                if a <= second < b:
                    return True
        return False


def _deadline(
    start: float,
    target: float,
    schedule: _Schedule | None,
    pauses: Sequence[tuple[float, float]],
) -> float | None:
    """Smallest D >= start with (open and unpaused time in [start, D)) == target.

    A naive walk, one second [n, n+1) at a time. A second holding ``start`` or a pause
    boundary is cut at those points and measured exactly; the schedule only changes at
    whole seconds. None when a pause without end (or a never-open schedule) comes first.
    """
    remaining = Fraction(target)
    if remaining <= 0:
        return start
    if schedule is not None and schedule.never_open:
        return None
    cuts = sorted({Fraction(x) for pause in pauses for x in pause if x != INF} | {Fraction(start)})
    special = {math.floor(c) for c in cuts}
    n = math.floor(Fraction(start))
    while True:
        if n in special:
            points = [Fraction(n)] + [c for c in cuts if n < c < n + 1] + [Fraction(n + 1)]
            is_open = schedule is None or schedule.is_open(n)
            for lo, hi in pairwise(points):
                if hi <= start:
                    continue
                paused_until = [b for a, b in pauses if a <= lo < b]
                if paused_until:
                    if INF in paused_until:
                        return None
                    continue
                if not is_open:
                    continue
                if hi - lo >= remaining:
                    return float(lo + remaining)
                remaining -= hi - lo
            n += 1
        else:
            # Whole seconds up to the next boundary (a special second, a pause's end, a
            # schedule interval's bound, at most an hour on) are all alike: count them
            # together, as the one-second walk would.
            paused_until = [b for a, b in pauses if a <= n < b]
            if INF in paused_until:
                return None
            stop = min([n + 3600, *(c for c in special if c > n),
                        *(math.ceil(x) for pause in pauses for x in pause
                          if x != INF and x > n),
                        *(schedule.bounds_after(n) if schedule is not None else [])])
            if not paused_until and (schedule is None or schedule.is_open(n)):
                if remaining <= stop - n:
                    return float(n + remaining)
                remaining -= stop - n
            n = stop


@dataclass(frozen=True)
class _Event:
    id: str
    type: str
    time: float
    data: Mapping[str, Any]


@dataclass(frozen=True)
class _Ticket:
    opened: float
    channel: str
    priority: str
    responses: tuple[float, ...]  # times of counted responses, ascending
    transitions: tuple[tuple[float, int, str], ...]  # (time, kind, event id), in order
    first_response_target: float
    resolution_target: float
    known_at: float  # the latest event time read before the ticket's first opened arrived
    # None = no deadline (a pause without end came first): never breaches, never at risk.
    fr_deadline: float | None = None
    res_deadline: float | None = None
    history: tuple[_Event, ...] = ()  # every event of the ticket, in (time, rank, id) order
    pauses: tuple[tuple[float, float], ...] = ()  # [a, b), b may be INF; whole history
    runs: tuple[_Run, ...] = ()  # next-reply runs
    pause_statuses: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Run:
    start: float  # the earliest customer reply of the run
    end: float | None  # the counted response or resolution that ended it
    ended_by_response: bool
    deadline: float | None


@dataclass(frozen=True)
class _Policy:
    first_response: Mapping[str, float]
    resolution: Mapping[str, float]
    next_reply: Mapping[str, float]
    schedules: Mapping[str, _Schedule | None]  # per target priority
    pause_statuses: frozenset[str]


def _parse_policy(
    policy: Mapping[str, Any],
    first_response_targets: Mapping[str, float] | None,
    resolution_targets: Mapping[str, float] | None,
) -> _Policy:
    sla = dict(policy.get("sla", {}))
    tables: list[dict[str, float]] = []
    for name, defaults, explicit in (
        ("first_response", DEFAULT_FIRST_RESPONSE_TARGETS, first_response_targets),
        ("resolution", DEFAULT_RESOLUTION_TARGETS, resolution_targets),
        ("next_reply", DEFAULT_NEXT_REPLY_TARGETS, None),
    ):
        targets = dict(defaults)
        for priority, value in dict(sla.get(name, {})).items():
            targets[str(priority)] = parse_duration(value)
        targets.update(explicit or {})
        tables.append(targets)
    raw_schedules = dict(policy.get("schedules", {}))
    built = {str(name): _Schedule(dict(raw)) for name, raw in raw_schedules.items()}
    schedules: dict[str, _Schedule | None] = dict.fromkeys(DEFAULT_FIRST_RESPONSE_TARGETS)
    for priority, name in dict(sla.get("schedule", {})).items():
        if str(name) not in built:
            raise ValueError(f"sla.schedule.{priority}: unknown schedule {name!r}")
        schedules[str(priority)] = built[str(name)]
    statuses = dict(sla.get("pause", {})).get("statuses", list(DEFAULT_PAUSE_STATUSES))
    return _Policy(tables[0], tables[1], tables[2], schedules, frozenset(str(x) for x in statuses))


@dataclass(frozen=True)
class _Resolution:
    time: float
    reopen_before: bool  # a reopen was applied earlier in the transition order


def _valid_events(
    events: Iterable[Mapping[str, Any]],
    required: Mapping[str, tuple[str, ...]] = _REQUIRED_DATA,
) -> list[_Event]:
    kept: list[_Event] = []
    seen_ids: list[str] = []
    for raw in events:
        event_type = raw.get("type")
        data = raw.get("data")
        event_id = raw.get("id")
        time_text = raw.get("time")
        if not isinstance(event_type, str) or event_type not in required:
            continue
        if not isinstance(data, Mapping) or event_id is None or not isinstance(time_text, str):
            continue
        if any(data.get(field) is None for field in required[event_type]):
            continue
        try:
            t = parse_time(time_text)
        except ValueError:
            continue
        if str(event_id) in seen_ids:  # linear search on purpose: naive
            continue
        seen_ids.append(str(event_id))
        kept.append(_Event(str(event_id), event_type, t, data))
    return kept


def _build_tickets(
    events: list[_Event],
    first_response_targets: Mapping[str, float],
    resolution_targets: Mapping[str, float],
    policy: _Policy | None = None,
) -> list[_Ticket]:
    ticket_ids: list[str] = []
    for event in events:
        tid = str(event.data["ticket_id"])
        if tid not in ticket_ids:
            ticket_ids.append(tid)

    tickets: list[_Ticket] = []
    for tid in ticket_ids:
        mine = [e for e in events if str(e.data["ticket_id"]) == tid]
        opens = sorted((e for e in mine if e.type == "ticket.opened"), key=lambda e: (e.time, e.id))
        if not opens:
            continue
        first_open = opens[0]
        arrived = min(events.index(e) for e in opens)
        known_at = max((e.time for e in events[:arrived]), default=float("-inf"))
        priority = _priority_label(first_open.data.get("priority"))
        target_priority = "normal" if priority == "other" else priority
        responses = sorted(
            e.time
            for e in mine
            if e.type == "ticket.responded"
            and e.data.get("public", True) is not False
            and e.data.get("by", "agent") != "bot"
        )
        transitions = sorted(
            (e.time, _RESOLVED if e.type == "ticket.resolved" else _REOPENED, e.id)
            for e in mine
            if e.type in ("ticket.resolved", "ticket.reopened")
        )
        ticket = _Ticket(
            opened=first_open.time,
            channel=_channel_label(first_open.data.get("channel")),
            priority=priority,
            responses=tuple(responses),
            transitions=tuple(transitions),
            first_response_target=float(first_response_targets[target_priority]),
            resolution_target=float(resolution_targets[target_priority]),
            known_at=known_at,
            fr_deadline=first_open.time + float(first_response_targets[target_priority]),
            res_deadline=first_open.time + float(resolution_targets[target_priority]),
        )
        if policy is not None:
            ticket = _with_policy(ticket, mine, target_priority, policy)
        tickets.append(ticket)
    return tickets


def _is_counted_response(event: _Event) -> bool:
    return (
        event.type == "ticket.responded"
        and event.data.get("public", True) is not False
        and event.data.get("by", "agent") != "bot"
    )


def _pausing(status: object, statuses: frozenset[str]) -> bool:
    return isinstance(status, str) and status in statuses


def _paused_after(history: Iterable[_Event], statuses: frozenset[str], until: float) -> bool:
    """Paused after every status_changed / customer_replied / reopened with time <= until."""
    paused = False
    for e in history:
        if e.time > until:
            continue
        if e.type == "ticket.status_changed":
            paused = _pausing(e.data["status"], statuses)
        elif e.type in ("ticket.customer_replied", "ticket.reopened"):
            paused = False
    return paused


def _pause_intervals(
    history: Sequence[_Event], statuses: frozenset[str]
) -> list[tuple[float, float]]:
    intervals: list[tuple[float, float]] = []
    since: float | None = None
    for e in history:
        if e.type == "ticket.status_changed":
            pauses = _pausing(e.data["status"], statuses)
        elif e.type in ("ticket.customer_replied", "ticket.reopened"):
            pauses = False
        else:
            continue
        if pauses and since is None:
            since = e.time
        elif not pauses and since is not None:
            intervals.append((since, e.time))
            since = None
    if since is not None:
        intervals.append((since, INF))
    return intervals


def _with_policy(
    ticket: _Ticket, mine: list[_Event], target_priority: str, policy: _Policy
) -> _Ticket:
    history = sorted(mine, key=lambda e: (e.time, _RANK[e.type], e.id))
    schedule = policy.schedules.get(target_priority)
    pauses = _pause_intervals(history, policy.pause_statuses)
    nr_target = float(policy.next_reply[target_priority])

    runs: list[_Run] = []
    answered = False
    state = "open"
    run_start: float | None = None
    for e in history:
        if _is_counted_response(e):
            if run_start is not None:
                runs.append(_Run(run_start, e.time, True, None))
                run_start = None
            answered = True
        elif e.type == "ticket.resolved" and state == "open":
            state = "resolved"
            if run_start is not None:
                runs.append(_Run(run_start, e.time, False, None))
                run_start = None
        elif e.type == "ticket.reopened" and state == "resolved":
            state = "open"
        elif e.type == "ticket.customer_replied" and answered and run_start is None:
            run_start = e.time
    if run_start is not None:
        runs.append(_Run(run_start, None, False, None))
    runs = [
        _Run(r.start, r.end, r.ended_by_response, _deadline(r.start, nr_target, schedule, pauses))
        for r in runs
    ]
    return replace(
        ticket,
        fr_deadline=_deadline(ticket.opened, ticket.first_response_target, schedule, ()),
        res_deadline=_deadline(ticket.opened, ticket.resolution_target, schedule, pauses),
        history=tuple(history),
        pauses=tuple(pauses),
        runs=tuple(runs),
        pause_statuses=policy.pause_statuses,
    )


def _counted_breach(sla: str, ticket: _Ticket, now: float) -> bool:
    """SPEC §3: a breach older than the kept day when the ticket became known (its
    opened read after the stream had moved on) is history and never counted."""
    at = _breached_at(sla, ticket, now)
    if at is None:
        return False
    return _counted_at(at, ticket)


def _counted_at(at: float, ticket: _Ticket) -> bool:
    if ticket.known_at == float("-inf"):
        return True
    return math.floor(at / 60) >= math.floor((ticket.known_at - 86400 - 60) / 60)


def _state_at(ticket: _Ticket, instant: float) -> str:
    state = "open"
    for t, kind, _ in ticket.transitions:
        if t > instant:
            continue
        if kind == _RESOLVED and state == "open":
            state = "resolved"
        elif kind == _REOPENED and state == "resolved":
            state = "open"
    return state


def _resolutions(ticket: _Ticket) -> list[_Resolution]:
    state = "open"
    reopened = False
    found: list[_Resolution] = []
    for t, kind, _ in ticket.transitions:
        if kind == _RESOLVED and state == "open":
            found.append(_Resolution(t, reopened))
            state = "resolved"
        elif kind == _REOPENED and state == "resolved":
            reopened = True
            state = "open"
    return found


def _reopens(ticket: _Ticket) -> list[float]:
    state = "open"
    found: list[float] = []
    for t, kind, _ in ticket.transitions:
        if kind == _RESOLVED and state == "open":
            state = "resolved"
        elif kind == _REOPENED and state == "resolved":
            found.append(t)
            state = "open"
    return found


def _first_response(ticket: _Ticket) -> float | None:
    return min(ticket.responses) if ticket.responses else None


def _is_first_contact(ticket: _Ticket, resolution: _Resolution) -> bool:
    responses_before = [r for r in ticket.responses if r <= resolution.time]
    return len(responses_before) == 1 and not resolution.reopen_before


def _first_response_met_at(ticket: _Ticket) -> float | None:
    first = _first_response(ticket)
    deadline = ticket.fr_deadline
    if first is not None and (deadline is None or first <= deadline):
        return first
    return None


def _first_response_breached_at(ticket: _Ticket, now: float) -> float | None:
    if _first_response_met_at(ticket) is not None:
        return None
    deadline = ticket.fr_deadline
    if deadline is None:
        return None
    if _state_at(ticket, deadline) == "open" and deadline < now:
        return deadline
    return None


def _resolution_met_at(ticket: _Ticket) -> float | None:
    resolutions = _resolutions(ticket)
    deadline = ticket.res_deadline
    if resolutions and (deadline is None or resolutions[0].time <= deadline):
        return resolutions[0].time
    return None


def _resolution_breached_at(ticket: _Ticket, now: float) -> float | None:
    deadline = ticket.res_deadline
    if deadline is None:
        return None
    instant: float | None = None
    if _state_at(ticket, deadline) == "open":
        instant = deadline
    else:
        later_reopens = [t for t in _reopens(ticket) if t >= deadline]
        if later_reopens:
            instant = min(later_reopens)
    if instant is not None and instant < now:
        return instant
    return None


def _met_at(sla: str, ticket: _Ticket) -> float | None:
    return _first_response_met_at(ticket) if sla == "first_response" else _resolution_met_at(ticket)


def _breached_at(sla: str, ticket: _Ticket, now: float) -> float | None:
    if sla == "first_response":
        return _first_response_breached_at(ticket, now)
    return _resolution_breached_at(ticket, now)


def _run_met_at(run: _Run) -> float | None:
    if not run.ended_by_response or run.end is None:
        return None
    if run.deadline is None or run.end <= run.deadline:
        return run.end
    return None


def _run_breached_at(ticket: _Ticket, run: _Run, now: float) -> float | None:
    deadline = run.deadline
    if deadline is None or not deadline < now:
        return None
    if run.end is not None and run.end <= deadline:
        return None
    if _state_at(ticket, deadline) != "open":
        return None
    return deadline


def _met_times(sla: str, ticket: _Ticket) -> list[float]:
    if sla == "next_reply":
        return [at for run in ticket.runs if (at := _run_met_at(run)) is not None]
    at = _met_at(sla, ticket)
    return [] if at is None else [at]


def _breach_times(sla: str, ticket: _Ticket, now: float) -> list[float]:
    if sla == "next_reply":
        return [at for run in ticket.runs if (at := _run_breached_at(ticket, run, now)) is not None]
    at = _breached_at(sla, ticket, now)
    return [] if at is None else [at]


def _run_open_at(run: _Run, now: float) -> bool:
    return run.start <= now and (run.end is None or run.end > now)


def _running_deadline(sla: str, ticket: _Ticket, now: float) -> float | None:
    """The deadline of this SLA's target if it runs at now (decision 8), else None."""
    if not _open_at(ticket, now):
        return None
    if sla == "first_response":
        return None if _answered_by(ticket, now) else ticket.fr_deadline
    if _paused_after(ticket.history, ticket.pause_statuses, now):
        return None
    if sla == "resolution":
        return ticket.res_deadline
    for run in ticket.runs:
        if _run_open_at(run, now):
            return run.deadline
    return None


def _in_breach(sla: str, ticket: _Ticket, now: float) -> bool:
    """Open now and past the deadline of the target (decision 8)."""
    if not _open_at(ticket, now):
        return False
    if sla == "first_response":
        deadline = ticket.fr_deadline
        return deadline is not None and now > deadline and not _answered_by(ticket, now)
    if sla == "resolution":
        deadline = ticket.res_deadline
        return deadline is not None and now > deadline
    return any(
        _run_open_at(run, now) and run.deadline is not None and now > run.deadline
        for run in ticket.runs
    )


def _open_at(ticket: _Ticket, now: float) -> bool:
    return ticket.opened <= now and _state_at(ticket, now) == "open"


def _answered_by(ticket: _Ticket, now: float) -> bool:
    return any(r <= now for r in ticket.responses)


def _quantile(sorted_samples: list[float], q: str) -> float:
    index = math.floor(Fraction(q) * (len(sorted_samples) - 1))
    return sorted_samples[index]


def _emit_summary(
    out: dict[MetricKey, float], name: str, samples: list[float], **labels: str
) -> None:
    out[_key(name + "_sum", **labels)] = math.fsum(samples)
    out[_key(name + "_count", **labels)] = float(len(samples))
    if samples:
        ordered = sorted(samples)
        for q in QUANTILES:
            out[_key(name, quantile=q, **labels)] = _quantile(ordered, q)


def expected_ticket_metrics(
    events: Iterable[Mapping[str, Any]],
    now: float,
    first_response_targets: Mapping[str, float] | None = None,
    resolution_targets: Mapping[str, float] | None = None,
    *,
    policy: Mapping[str, Any] | None = None,
) -> dict[MetricKey, float]:
    """Every ticket series of SPEC §2 for these events, as seen at ``now``.

    Keys are ``(sample name, labels sorted by label name)``; values are floats.
    With ``policy`` (the parsed TOML document, SPEC §3) the SLA engine's series come too.
    """
    # No policy is SPEC's default policy: calendar time, pauses on pending and on_hold,
    # the default next-reply targets (every SLA engine series exists without config).
    parsed = _parse_policy(policy or {}, first_response_targets, resolution_targets)
    fr_targets = dict(parsed.first_response)
    res_targets = dict(parsed.resolution)
    valid = _valid_events(events, _POLICY_REQUIRED_DATA)
    slas = POLICY_SLAS

    tickets = _build_tickets(valid, fr_targets, res_targets, parsed)
    out: dict[MetricKey, float] = {}

    # Windowed series.
    for window, size in WINDOWS:
        for channel in CHANNELS:
            all_resolutions = 0
            fcr_resolutions = 0
            all_reopens = 0
            for priority in PRIORITIES:
                mine = [t for t in tickets if t.channel == channel and t.priority == priority]

                opened = sum(1 for t in mine if _in_window(t.opened, now, size))
                out[
                    _key("cx_tickets_opened", window=window, channel=channel, priority=priority)
                ] = float(opened)

                resolved = 0
                resolution_samples: list[float] = []
                for t in mine:
                    for r in _resolutions(t):
                        if _in_window(r.time, now, size):
                            resolved += 1
                            resolution_samples.append(max(0.0, r.time - t.opened))
                            if _is_first_contact(t, r):
                                fcr_resolutions += 1
                    for reopen in _reopens(t):
                        if _in_window(reopen, now, size):
                            all_reopens += 1
                all_resolutions += resolved
                out[
                    _key("cx_tickets_resolved", window=window, channel=channel, priority=priority)
                ] = float(resolved)
                _emit_summary(
                    out,
                    "cx_resolution_seconds",
                    resolution_samples,
                    window=window,
                    channel=channel,
                    priority=priority,
                )

                response_samples: list[float] = []
                for t in mine:
                    first = _first_response(t)
                    if first is not None and _in_window(first, now, size):
                        response_samples.append(max(0.0, first - t.opened))
                _emit_summary(
                    out,
                    "cx_first_response_seconds",
                    response_samples,
                    window=window,
                    channel=channel,
                    priority=priority,
                )

                if parsed is not None:
                    next_reply_samples = [
                        max(0.0, run.end - run.start)
                        for t in mine
                        for run in t.runs
                        if run.ended_by_response
                        and run.end is not None
                        and _in_window(run.end, now, size)
                    ]
                    _emit_summary(
                        out,
                        "cx_next_reply_seconds",
                        next_reply_samples,
                        window=window,
                        channel=channel,
                        priority=priority,
                    )

                for sla in slas:
                    met = 0
                    breached = 0
                    for t in mine:
                        met += sum(1 for at in _met_times(sla, t) if _in_window(at, now, size))
                        breached += sum(
                            1 for at in _breach_times(sla, t, now) if _in_window(at, now, size)
                        )
                    if met + breached > 0:
                        out[
                            _key(
                                "cx_sla_attainment_ratio",
                                window=window,
                                sla=sla,
                                channel=channel,
                                priority=priority,
                            )
                        ] = met / (met + breached)

            if all_resolutions > 0:
                out[_key("cx_first_contact_resolution_ratio", window=window, channel=channel)] = (
                    fcr_resolutions / all_resolutions
                )
                out[_key("cx_reopen_ratio", window=window, channel=channel)] = (
                    all_reopens / all_resolutions
                )

    # Counters and gauges at now.
    for channel in CHANNELS:
        for priority in PRIORITIES:
            mine = [t for t in tickets if t.channel == channel and t.priority == priority]
            labels = {"channel": channel, "priority": priority}

            for sla in slas:
                breaches = sum(
                    1 for t in mine for at in _breach_times(sla, t, now) if _counted_at(at, t)
                )
                out[_key("cx_sla_breaches_total", sla=sla, **labels)] = float(breaches)

            open_now = [t for t in mine if _open_at(t, now)]
            out[_key("cx_tickets_open", **labels)] = float(len(open_now))

            for sla in slas:
                in_breach = sum(1 for t in open_now if _in_breach(sla, t, now))
                out[_key("cx_tickets_in_breach", sla=sla, **labels)] = float(in_breach)

            unanswered_ages = [now - t.opened for t in open_now if not _answered_by(t, now)]
            if unanswered_ages:
                out[_key("cx_oldest_unanswered_ticket_age_seconds", **labels)] = max(
                    unanswered_ages
                )

            if parsed is None:
                continue
            paused = sum(1 for t in open_now if _paused_after(t.history, t.pause_statuses, now))
            out[_key("cx_tickets_paused", **labels)] = float(paused)
            for sla in slas:
                left: list[float] = []
                for t in mine:
                    deadline = _running_deadline(sla, t, now)
                    if deadline is not None and deadline >= now:
                        left.append(deadline - now)
                for within, seconds in WITHIN:
                    out[_key("cx_sla_at_risk_tickets", sla=sla, within=within, **labels)] = float(
                        sum(1 for x in left if x <= seconds)
                    )
                if left:
                    out[_key("cx_sla_next_breach_seconds", sla=sla, **labels)] = min(left)

    return out
