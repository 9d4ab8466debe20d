"""A plain reference for contacts, sessions, conversions, surveys and costs.

Written from SPEC.md §2 and docs/families.md only, for the tests: no buckets kept,
no sketches, no incremental state. For every window and label set it loops over
the events and tests the conditions directly; quantiles sort and index
(rank floor(q * (n - 1)), as the ticket reference does). The caller passes the
valid, non-late events (duplicates by id are dropped here: first one wins).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from tests.reference.tickets_naive import parse_time

SampleKey = tuple[str, tuple[tuple[str, str], ...]]

WINDOWS = {"5m": 5, "1h": 60, "24h": 1440}
CHANNELS = ("email", "chat", "phone", "social", "web", "other")
SOURCES = ("organic", "paid", "social", "email", "direct", "referral", "other")
SURVEYS = ("nps", "csat", "ces")
QUANTILES = ("0.5", "0.9", "0.99")

Ev = dict[str, Any]


def _key(name: str, **labels: str) -> SampleKey:
    return (name, tuple(sorted(labels.items())))


def _minute(t: float) -> int:
    return math.floor(t / 60)


def _in_window(t: float, now: float, minutes: int) -> bool:
    return _minute(now) - minutes < _minute(t) <= _minute(now)


def _channel(value: object) -> str:
    return value if value in CHANNELS else "other"  # type: ignore[return-value]


def _source(value: object) -> str:
    return value if value in SOURCES else "other"  # type: ignore[return-value]


def _t(event: Ev) -> float:
    return parse_time(event["time"])


def _first(events: Iterable[Ev]) -> Ev | None:
    """The earliest event by time (ties: smallest id)."""
    return min(events, key=lambda e: (_t(e), e["id"]), default=None)


def _summary(out: dict[SampleKey, float], name: str, samples: list[float],
             **labels: str) -> None:
    out[_key(name + "_count", **labels)] = len(samples)
    out[_key(name + "_sum", **labels)] = sum(samples)
    ordered = sorted(samples)
    for q in QUANTILES:
        if ordered:
            out[_key(name, quantile=q, **labels)] = ordered[
                math.floor(Fraction(q) * (len(ordered) - 1))]


def _ratio(out: dict[SampleKey, float], name: str, num: float, den: float,
           **labels: str) -> None:
    if den:
        out[_key(name, **labels)] = num / den


def _contacts(events: list[Ev], now: float, short: float, target: float,
              out: dict[SampleKey, float]) -> None:
    by_contact: dict[str, list[Ev]] = {}
    for e in events:
        by_contact.setdefault(e["data"]["contact_id"], []).append(e)
    contacts = []  # (channel, queued time, outcome event or None)
    for evs in by_contact.values():
        queued = _first(e for e in evs if e["type"] == "contact.queued")
        if queued is None:
            continue
        outcome = min((e for e in evs if e["type"] in ("contact.answered", "contact.abandoned")),
                      key=lambda e: (_t(e), e["type"] != "contact.answered", e["id"]),
                      default=None)
        contacts.append((_channel(queued["data"]["channel"]), _t(queued), outcome))

    for channel in CHANNELS:
        waiting = [q for c, q, o in contacts
                   if c == channel and q <= now and (o is None or _t(o) > now)]
        out[_key("cx_contacts_in_queue", channel=channel)] = len(waiting)
        if waiting:
            out[_key("cx_oldest_queued_contact_age_seconds", channel=channel)] = \
                now - min(waiting)
        for window, minutes in WINDOWS.items():
            waits, abandoned = [], 0
            for c, q, o in contacts:
                if c != channel or o is None or not _in_window(_t(o), now, minutes):
                    continue
                wait = max(0.0, _t(o) - q)
                if o["type"] == "contact.answered":
                    waits.append(wait)
                elif wait >= short:
                    abandoned += 1
            in_target = sum(1 for w in waits if w <= target)
            labels = {"window": window, "channel": channel}
            out[_key("cx_contacts_answered", **labels)] = len(waits)
            out[_key("cx_contacts_answered_in_target", **labels)] = in_target
            out[_key("cx_contacts_abandoned", **labels)] = abandoned
            _summary(out, "cx_contact_wait_seconds", waits, **labels)
            _ratio(out, "cx_contact_abandonment_ratio", abandoned, len(waits) + abandoned,
                   **labels)
            _ratio(out, "cx_contact_service_level_ratio", in_target, len(waits) + abandoned,
                   **labels)


def _local_midnight(now: float, tz: ZoneInfo, days_back: int) -> float:
    day = datetime.fromtimestamp(now, tz).date() - timedelta(days=days_back)
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def _sessions(events: list[Ev], now: float, tz: ZoneInfo,
              out: dict[SampleKey, float]) -> dict[tuple[str, str], int]:
    """Also returns sessions started per (window, source), for the conversion ratio."""
    user_minutes = [(e["data"]["user_id"], _minute(_t(e))) for e in events]
    ranges = {w: (_minute(now) - m + 1) for w, m in WINDOWS.items()}
    ranges["1d"] = _minute(_local_midnight(now, tz, 0))
    ranges["7d"] = _minute(_local_midnight(now, tz, 6))
    ranges["28d"] = _minute(_local_midnight(now, tz, 27))
    for window, first in ranges.items():
        users = {u for u, m in user_minutes if first <= m <= _minute(now)}
        out[_key("cx_active_users", window=window)] = len(users)

    by_session: dict[str, list[Ev]] = {}
    for e in events:
        by_session.setdefault(e["data"]["session_id"], []).append(e)
    sessions = []  # (source, start, page times, end time or None)
    for evs in by_session.values():
        start = _first(e for e in evs if e["type"] == "session.started")
        if start is None:
            continue
        end = _first(e for e in evs if e["type"] == "session.ended")
        sessions.append((_source(start["data"]["source"]), _t(start),
                         [_t(e) for e in evs if e["type"] == "page.viewed"],
                         _t(end) if end is not None else None))
    started_counts = {}
    for source in SOURCES:
        for window, minutes in WINDOWS.items():
            mine = [s for s in sessions if s[0] == source]
            started = sum(1 for s in mine if _in_window(s[1], now, minutes))
            pages = sum(1 for s in mine for p in s[2] if _in_window(p, now, minutes))
            ended = [s for s in mine if s[3] is not None and _in_window(s[3], now, minutes)]
            bounced = sum(1 for s in ended if len(s[2]) <= 1)
            labels = {"window": window, "source": source}
            out[_key("cx_sessions_started", **labels)] = started
            out[_key("cx_page_views", **labels)] = pages
            out[_key("cx_sessions_ended", **labels)] = len(ended)
            out[_key("cx_sessions_bounced", **labels)] = bounced
            _ratio(out, "cx_pages_per_session", pages, started, **labels)
            _ratio(out, "cx_bounce_ratio", bounced, len(ended), **labels)
            _summary(out, "cx_session_duration_seconds",
                     [max(0.0, s[3] - s[1]) for s in ended if s[3] is not None], **labels)
            started_counts[(window, source)] = started
    return started_counts


def _in(events: list[Ev], now: float, minutes: int) -> list[Ev]:
    return [e for e in events if _in_window(_t(e), now, minutes)]


def expected_family_metrics(
        events: Iterable[Ev], nows: Mapping[str, float], *, timezone: str = "UTC",
        short_abandon: float = 5.0, service_level_target: float = 20.0,
        ticket_resolutions: Mapping[str, int] | None = None) -> dict[SampleKey, float]:
    """Every series of these five families, keyed like the exporter's samples."""
    seen: set[str] = set()
    by_topic: dict[str, list[Ev]] = {}
    topic_of = {"contact": "cx.contacts", "session": "cx.sessions", "page": "cx.sessions",
                "conversion": "cx.conversions", "survey": "cx.surveys", "cost": "cx.costs"}
    for e in events:
        if e["id"] in seen:
            continue
        seen.add(e["id"])
        topic = topic_of.get(e["type"].split(".")[0])
        if topic is not None:
            by_topic.setdefault(topic, []).append(e)
    out: dict[SampleKey, float] = {}

    if "cx.contacts" in nows:
        _contacts(by_topic.get("cx.contacts", []), nows["cx.contacts"], short_abandon,
                  service_level_target, out)
    started: dict[tuple[str, str], int] | None = None
    if "cx.sessions" in nows:
        started = _sessions(by_topic.get("cx.sessions", []), nows["cx.sessions"],
                            ZoneInfo(timezone), out)

    conversions: dict[tuple[str, str], int] | None = None
    if "cx.conversions" in nows:
        now = nows["cx.conversions"]
        conversions = {}
        for window, minutes in WINDOWS.items():
            kept = _in(by_topic.get("cx.conversions", []), now, minutes)
            for source in SOURCES:
                mine = [e for e in kept if _source(e["data"]["source"]) == source]
                labels = {"window": window, "source": source}
                conversions[(window, source)] = len(mine)
                out[_key("cx_conversions", **labels)] = len(mine)
                out[_key("cx_conversion_value", **labels)] = sum(
                    Fraction(str(e["data"]["value"])) for e in mine).__float__()
                if started is not None:
                    _ratio(out, "cx_conversion_ratio", len(mine), started[(window, source)],
                           **labels)

    if "cx.surveys" in nows:
        now = nows["cx.surveys"]
        for window, minutes in WINDOWS.items():
            kept = _in(by_topic.get("cx.surveys", []), now, minutes)
            for channel in CHANNELS:
                mine = [e["data"] for e in kept if _channel(e["data"]["channel"]) == channel]
                scores = {s: [d["score"] for d in mine if d["survey"] == s] for s in SURVEYS}
                labels = {"window": window, "channel": channel}
                for survey in SURVEYS:
                    out[_key("cx_survey_answers", survey=survey, **labels)] = len(scores[survey])
                    out[_key("cx_survey_score_sum", survey=survey, **labels)] = sum(
                        scores[survey])
                promoters = sum(1 for s in scores["nps"] if s >= 9)
                detractors = sum(1 for s in scores["nps"] if s <= 6)
                satisfied = sum(1 for s in scores["csat"] if s >= 4)
                out[_key("cx_survey_promoters", **labels)] = promoters
                out[_key("cx_survey_detractors", **labels)] = detractors
                out[_key("cx_survey_satisfied", **labels)] = satisfied
                _ratio(out, "cx_nps", 100 * (promoters - detractors), len(scores["nps"]),
                       **labels)
                _ratio(out, "cx_csat_ratio", satisfied, len(scores["csat"]), **labels)
                _ratio(out, "cx_ces_mean", sum(scores["ces"]), len(scores["ces"]), **labels)

    if "cx.costs" in nows:
        now = nows["cx.costs"]
        for window, minutes in WINDOWS.items():
            kept = [e["data"] for e in _in(by_topic.get("cx.costs", []), now, minutes)]
            for source in SOURCES:
                ads = [d for d in kept if d["kind"] == "ads" and _source(d["source"]) == source]
                cost = float(sum(Fraction(str(d["amount"])) for d in ads))
                clicks = sum(d.get("clicks", 0) for d in ads)
                labels = {"window": window, "source": source}
                out[_key("cx_ads_cost", **labels)] = cost
                out[_key("cx_ad_clicks", **labels)] = clicks
                _ratio(out, "cx_cost_per_click", cost, clicks, **labels)
                if conversions is not None:
                    _ratio(out, "cx_cost_per_conversion", cost, conversions[(window, source)],
                           **labels)
            service = float(sum(Fraction(str(d["amount"])) for d in kept
                                if d["kind"] == "service"))
            out[_key("cx_service_cost", window=window)] = service
            if ticket_resolutions is not None:
                _ratio(out, "cx_cost_per_resolution", service, ticket_resolutions[window],
                       window=window)
    return out
