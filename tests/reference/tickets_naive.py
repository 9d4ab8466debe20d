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
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

__all__ = [
    "CHANNELS",
    "DEFAULT_FIRST_RESPONSE_TARGETS",
    "DEFAULT_RESOLUTION_TARGETS",
    "PRIORITIES",
    "QUANTILES",
    "SLAS",
    "WINDOWS",
    "MetricKey",
    "expected_ticket_metrics",
    "parse_time",
]

MetricKey = tuple[str, tuple[tuple[str, str], ...]]

CHANNELS: tuple[str, ...] = ("email", "chat", "phone", "social", "web", "other")
PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low", "other")
WINDOWS: tuple[tuple[str, int], ...] = (("5m", 5), ("1h", 60), ("24h", 1440))
SLAS: tuple[str, ...] = ("first_response", "resolution")
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

_REQUIRED_DATA: Mapping[str, tuple[str, ...]] = {
    "ticket.opened": ("ticket_id", "customer_id", "channel", "priority"),
    "ticket.responded": ("ticket_id", "agent_id"),
    "ticket.resolved": ("ticket_id", "agent_id"),
    "ticket.reopened": ("ticket_id",),
}

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


@dataclass(frozen=True)
class _Resolution:
    time: float
    reopen_before: bool  # a reopen was applied earlier in the transition order


def _valid_events(events: Iterable[Mapping[str, Any]]) -> list[_Event]:
    kept: list[_Event] = []
    seen_ids: list[str] = []
    for raw in events:
        event_type = raw.get("type")
        data = raw.get("data")
        event_id = raw.get("id")
        time_text = raw.get("time")
        if not isinstance(event_type, str) or event_type not in _REQUIRED_DATA:
            continue
        if not isinstance(data, Mapping) or event_id is None or not isinstance(time_text, str):
            continue
        if any(data.get(field) is None for field in _REQUIRED_DATA[event_type]):
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
        tickets.append(
            _Ticket(
                opened=first_open.time,
                channel=_channel_label(first_open.data.get("channel")),
                priority=priority,
                responses=tuple(responses),
                transitions=tuple(transitions),
                first_response_target=float(first_response_targets[target_priority]),
                resolution_target=float(resolution_targets[target_priority]),
                known_at=known_at,
            )
        )
    return tickets


def _counted_breach(sla: str, ticket: _Ticket, now: float) -> bool:
    """SPEC §3: a breach older than the kept day when the ticket became known (its
    opened read after the stream had moved on) is history and never counted."""
    at = _breached_at(sla, ticket, now)
    if at is None:
        return False
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
    deadline = ticket.opened + ticket.first_response_target
    if first is not None and first <= deadline:
        return first
    return None


def _first_response_breached_at(ticket: _Ticket, now: float) -> float | None:
    if _first_response_met_at(ticket) is not None:
        return None
    deadline = ticket.opened + ticket.first_response_target
    if _state_at(ticket, deadline) == "open" and deadline < now:
        return deadline
    return None


def _resolution_met_at(ticket: _Ticket) -> float | None:
    resolutions = _resolutions(ticket)
    deadline = ticket.opened + ticket.resolution_target
    if resolutions and resolutions[0].time <= deadline:
        return resolutions[0].time
    return None


def _resolution_breached_at(ticket: _Ticket, now: float) -> float | None:
    deadline = ticket.opened + ticket.resolution_target
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
) -> dict[MetricKey, float]:
    """Every ticket series of SPEC §2 for these events, as seen at ``now``.

    Keys are ``(sample name, labels sorted by label name)``; values are floats.
    """
    fr_targets = dict(DEFAULT_FIRST_RESPONSE_TARGETS)
    fr_targets.update(first_response_targets or {})
    res_targets = dict(DEFAULT_RESOLUTION_TARGETS)
    res_targets.update(resolution_targets or {})

    tickets = _build_tickets(_valid_events(events), fr_targets, res_targets)
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

                for sla in SLAS:
                    met = 0
                    breached = 0
                    for t in mine:
                        met_at = _met_at(sla, t)
                        if met_at is not None and _in_window(met_at, now, size):
                            met += 1
                        breached_at = _breached_at(sla, t, now)
                        if breached_at is not None and _in_window(breached_at, now, size):
                            breached += 1
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

            for sla in SLAS:
                breaches = sum(1 for t in mine if _counted_breach(sla, t, now))
                out[_key("cx_sla_breaches_total", sla=sla, channel=channel, priority=priority)] = (
                    float(breaches)
                )

            open_now = [t for t in mine if _open_at(t, now)]
            out[_key("cx_tickets_open", channel=channel, priority=priority)] = float(len(open_now))

            fr_in_breach = sum(
                1
                for t in open_now
                if now > t.opened + t.first_response_target and not _answered_by(t, now)
            )
            res_in_breach = sum(1 for t in open_now if now > t.opened + t.resolution_target)
            out[
                _key(
                    "cx_tickets_in_breach", sla="first_response", channel=channel, priority=priority
                )
            ] = float(fr_in_breach)
            out[
                _key("cx_tickets_in_breach", sla="resolution", channel=channel, priority=priority)
            ] = float(res_in_breach)

            unanswered_ages = [now - t.opened for t in open_now if not _answered_by(t, now)]
            if unanswered_ages:
                out[
                    _key(
                        "cx_oldest_unanswered_ticket_age_seconds",
                        channel=channel,
                        priority=priority,
                    )
                ] = max(unanswered_ages)

    return out
