"""Ticket metrics the slow, obvious way, straight from SPEC §2 and the README's decisions.

No buckets as data structures, no incremental state, no sketch: for every window
and label set, loop over every ticket and test the condition. Tests compare the
worker's exported numbers with this.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

Key = tuple[str, tuple[tuple[str, str], ...]]

CHANNELS = ["email", "chat", "phone", "social", "web", "other"]
PRIORITIES = ["urgent", "high", "normal", "low", "other"]
WINDOW_MINUTES = {"5m": 5, "1h": 60, "24h": 1440}
QUANTILES = ["0.5", "0.9", "0.99"]
DEFAULT_FR = {"urgent": 900.0, "high": 3600.0, "normal": 14400.0, "low": 86400.0}
DEFAULT_RES = {"urgent": 14400.0, "high": 86400.0, "normal": 259200.0, "low": 604800.0}


def _seconds(text: str) -> float:
    return datetime.fromisoformat(text.upper()).timestamp()


def _key(name: str, **labels: str) -> Key:
    return name, tuple(sorted(labels.items()))


class Ticket:
    def __init__(self) -> None:
        self.opens: list[tuple[float, str, str, str]] = []  # time, id, channel, priority
        self.responses: list[float] = []
        self.moves: list[tuple[float, int, str]] = []  # time, 0 resolve / 1 reopen, id

    def opened(self) -> tuple[float, str, str]:
        t, _, channel, priority = min(self.opens)
        return (t, channel if channel in CHANNELS else "other",
                priority if priority in PRIORITIES else "other")

    def walk(self) -> list[tuple[float, str, bool]]:
        """Every transition that counted: (time, 'resolution' | 'reopen', open after)."""
        out = []
        is_open = True
        for t, kind, _ in sorted(self.moves):
            if kind == 0 and is_open:
                is_open = False
                out.append((t, "resolution", False))
            elif kind == 1 and not is_open:
                is_open = True
                out.append((t, "reopen", True))
        return out

    def open_at(self, instant: float) -> bool:
        state = True
        for t, _, after in self.walk():
            if t <= instant:
                state = after
        return state


def _tickets(events: Iterable[Mapping[str, Any]]) -> dict[str, Ticket]:
    seen: set[str] = set()
    tickets: dict[str, Ticket] = {}
    for e in events:
        if e["id"] in seen:
            continue
        seen.add(e["id"])
        d = e["data"]
        t = _seconds(e["time"])
        ticket = tickets.setdefault(d["ticket_id"], Ticket())
        if e["type"] == "ticket.opened":
            ticket.opens.append((t, e["id"], d["channel"], d["priority"]))
        elif e["type"] == "ticket.responded":
            if d.get("public", True) is not False and d.get("by", "agent") != "bot":
                ticket.responses.append(t)
        elif e["type"] == "ticket.resolved":
            ticket.moves.append((t, 0, e["id"]))
        elif e["type"] == "ticket.reopened":
            ticket.moves.append((t, 1, e["id"]))
    return {k: v for k, v in tickets.items() if v.opens}


def expected_ticket_metrics(
    events: Iterable[Mapping[str, Any]],
    now: float,
    first_response_targets: Mapping[str, float] | None = None,
    resolution_targets: Mapping[str, float] | None = None,
) -> dict[Key, float]:
    fr_target = dict(first_response_targets or DEFAULT_FR)
    res_target = dict(resolution_targets or DEFAULT_RES)
    tickets = list(_tickets(events).values())
    out: dict[Key, float] = {}

    def in_window(t: float, minutes: int) -> bool:
        b = math.floor(t / 60)
        last = math.floor(now / 60)
        return last - minutes < b <= last

    # Per ticket, the plain facts: (time, what, channel, priority, value).
    facts: list[tuple[float, str, str, str, float]] = []
    breaches: list[tuple[str, str, str]] = []
    for ticket in tickets:
        t0, ch, pr = ticket.opened()
        sla_p = pr if pr != "other" else "normal"
        d1, d2 = t0 + fr_target[sla_p], t0 + res_target[sla_p]
        facts.append((t0, "opened", ch, pr, 1))
        first = min(ticket.responses) if ticket.responses else None
        if first is not None:
            facts.append((first, "fr_sample", ch, pr, max(0.0, first - t0)))
        if first is not None and first <= d1:
            facts.append((first, "fr_met", ch, pr, 1))
        elif d1 < now and ticket.open_at(d1):
            facts.append((d1, "fr_breached", ch, pr, 1))
            breaches.append(("first_response", ch, pr))
        reopened_before = False
        resolutions = 0
        for t, what, _ in ticket.walk():
            if what == "resolution":
                resolutions += 1
                facts.append((t, "resolved", ch, pr, 1))
                facts.append((t, "res_sample", ch, pr, max(0.0, t - t0)))
                answers = len([r for r in ticket.responses if r <= t])
                if answers == 1 and not reopened_before:
                    facts.append((t, "fcr", ch, pr, 1))
                if resolutions == 1 and t <= d2:
                    facts.append((t, "res_met", ch, pr, 1))
            else:
                reopened_before = True
                facts.append((t, "reopened", ch, pr, 1))
        breach_at: float | None = None
        if ticket.open_at(d2):
            breach_at = d2
        else:
            later = [t for t, what, _ in ticket.walk() if what == "reopen" and t >= d2]
            breach_at = min(later) if later else None
        if breach_at is not None and breach_at < now:
            facts.append((breach_at, "res_breached", ch, pr, 1))
            breaches.append(("resolution", ch, pr))

    def total(what: str, window: int, channels: list[str], priorities: list[str]) -> float:
        return sum(v for t, w, c, p, v in facts
                   if w == what and c in channels and p in priorities and in_window(t, window))

    def samples(what: str, window: int, ch: str, pr: str) -> list[float]:
        return sorted(v for t, w, c, p, v in facts
                      if w == what and c == ch and p == pr and in_window(t, window))

    for wname, minutes in WINDOW_MINUTES.items():
        for ch in CHANNELS:
            for pr in PRIORITIES:
                labels = {"window": wname, "channel": ch, "priority": pr}
                out[_key("cx_tickets_opened", **labels)] = total("opened", minutes, [ch], [pr])
                out[_key("cx_tickets_resolved", **labels)] = total("resolved", minutes, [ch],
                                                                   [pr])
                for metric, what in (("cx_first_response_seconds", "fr_sample"),
                                     ("cx_resolution_seconds", "res_sample")):
                    values = samples(what, minutes, ch, pr)
                    out[_key(metric + "_count", **labels)] = len(values)
                    out[_key(metric + "_sum", **labels)] = sum(values)
                    for q in QUANTILES:
                        if values:
                            rank = math.floor(float(q) * (len(values) - 1))
                            out[_key(metric, quantile=q, **labels)] = values[rank]
                for sla, met, breached in (("first_response", "fr_met", "fr_breached"),
                                           ("resolution", "res_met", "res_breached")):
                    m = total(met, minutes, [ch], [pr])
                    b = total(breached, minutes, [ch], [pr])
                    if m + b > 0:
                        out[_key("cx_sla_attainment_ratio", sla=sla, **labels)] = m / (m + b)
            resolved = total("resolved", minutes, [ch], PRIORITIES)
            if resolved > 0:
                out[_key("cx_first_contact_resolution_ratio", window=wname, channel=ch)] = (
                    total("fcr", minutes, [ch], PRIORITIES) / resolved)
                out[_key("cx_reopen_ratio", window=wname, channel=ch)] = (
                    total("reopened", minutes, [ch], PRIORITIES) / resolved)

    # Gauges at now: only what happened up to now counts.
    for ch in CHANNELS:
        for pr in PRIORITIES:
            backlog = 0
            fr_breach = 0
            res_breach = 0
            oldest: float | None = None
            for ticket in tickets:
                t0, c, p = ticket.opened()
                if (c, p) != (ch, pr) or t0 > now or not ticket.open_at(now):
                    continue
                backlog += 1
                sla_p = p if p != "other" else "normal"
                answered = any(r <= now for r in ticket.responses)
                if not answered:
                    oldest = max(oldest or 0.0, now - t0)
                    if now > t0 + fr_target[sla_p]:
                        fr_breach += 1
                if now > t0 + res_target[sla_p]:
                    res_breach += 1
            out[_key("cx_tickets_open", channel=ch, priority=pr)] = backlog
            out[_key("cx_tickets_in_breach", sla="first_response", channel=ch,
                     priority=pr)] = fr_breach
            out[_key("cx_tickets_in_breach", sla="resolution", channel=ch,
                     priority=pr)] = res_breach
            if oldest is not None:
                out[_key("cx_oldest_unanswered_ticket_age_seconds", channel=ch,
                         priority=pr)] = oldest
            for sla in ("first_response", "resolution"):
                out[_key("cx_sla_breaches_total", sla=sla, channel=ch, priority=pr)] = len(
                    [b for b in breaches if b == (sla, ch, pr)])
    return out
