"""A plain reference for the customers family (topic ``cx.customers``).

Written from SPEC.md §1 (the ``cx.customers`` rows) and §2 ("Customers, revenue,
referrals, complaints") only, for the tests: no buckets, no incremental state. For
every window and label set it loops over the events and tests the conditions directly;
quantiles sort and index (rank floor(q * (n - 1)), as the other references do).

Which series are exported (match this in the implementation):

- Always, 0 when nothing happened: ``cx_customers_active``, ``cx_mrr``,
  ``cx_signups{window,source}`` for every window and every SPEC source,
  ``cx_customers_new{window}``, ``cx_referrals_sent{window}``,
  ``cx_referred_signups{window}``, ``cx_complaints_opened{window,channel}`` for every
  SPEC channel, ``cx_complaints_open{channel}`` for every channel, and the
  ``cx_complaint_resolution_seconds_count`` / ``_sum`` of every window and channel.
- Also always, the components of the ratios (they add up over workers):
  ``cx_customers_at_start``, ``cx_customers_retained``, ``cx_mrr_at_start``,
  ``cx_mrr_now_of_start``, ``cx_mrr_contraction`` per window, and
  ``cx_complaints_closed``, ``cx_complaints_upheld``, ``cx_complaints_closed_within``
  per window and channel (and ``within``).
- Only with samples (absent otherwise, never NaN or a fake 0): the resolution
  quantiles, every ratio (retention, churn, revenue retention, closed-within, upheld),
  ``cx_viral_coefficient``, ``cx_customer_lifetime_value`` and
  ``cx_complaints_per_1000_customers``; each one's condition is next to it below.

Time:

- Windows ``1d``, ``7d``, ``30d`` start at local midnight (zoneinfo, so daylight saving
  inside a window is exact) of today, 6 and 29 calendar days before today. An event is
  in a window when ``start <= time <= now``.
- State at an instant t is after every event with time <= t. So an event exactly at a
  window's start is part of the state at the start *and* in the window.
- Events with time > now are ignored everywhere (also for state).
- Late events: the caller passes the events that were not late when they arrived
  (older than local midnight 30 days before the day of "now" *at their arrival*); a
  subscription started long ago and still active is part of the state.
- Duplicates by ``id`` are dropped before anything else; the first in list order wins.

Subscriptions:

- The earliest ``subscription.started`` (by time, then id) of a subscription_id fixes
  its customer, its start and its first mrr; later ``started`` of that id are ignored,
  as is the customer_id of ``changed``/``cancelled``. Without a ``started`` the
  subscription never exists.
- "Wait for it": a ``changed`` or ``cancelled`` with time before the start takes effect
  at the start instant. Waiting changes apply *after* the started's own mrr, in their
  time order, so a change sent before the start overrides the started mrr. A cancel
  before the start makes the subscription never active (it still "started", so it still
  counts for ``cx_customers_new``).
- The earliest effective cancel wins; a subscription is active at t when start <= t and
  not (cancel <= t). Its mrr at t is the latest effective mrr at or before t if active,
  else 0 (so changes after the cancel have no effect). A zero-mrr subscription is active.
- A customer is active at t when any of their subscriptions is. ``cx_customers_new``
  counts customers whose earliest subscription start lies in the window.

Signups and referrals: every ``customer.signed_up`` event counts (not distinct
customers). A signup "carries a referral_id" when the field is present, not null and
not the empty string.

Complaints:

- The earliest ``complaint.opened`` (by time, then id) of a complaint_id fixes its
  channel and opened time; later opens are ignored. Complaints are counted per
  complaint_id, not per event. A close without an open never counts.
- A close before its open waits for it: its effective time is max(close time, open
  time), so its resolution is max(0, close - open) and it belongs to the window of the
  effective time. The earliest effective close (then event time, then id) wins; later
  closes are ignored (there is no reopen).
- Closed within ``3d`` / ``8w``: resolution <= 3 * 86400 s / 56 * 86400 s (inclusive).
- Upheld: the winning close's ``upheld`` is ``True`` (default false).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from tests.reference.families_plain import (
    CHANNELS,
    SOURCES,
    SampleKey,
    _channel,
    _key,
    _local_midnight,
    _source,
    _summary,
)
from tests.reference.tickets_naive import parse_time

Ev = dict[str, Any]

WINDOWS = {"1d": 0, "7d": 6, "30d": 29}  # days before today of the window's first day
WITHIN = {"3d": 3 * 86400, "8w": 56 * 86400}
TYPES = ("customer.signed_up", "subscription.started", "subscription.changed",
         "subscription.cancelled", "referral.sent", "complaint.opened", "complaint.closed")


def _t(event: Ev) -> float:
    return parse_time(event["time"])


def _money(value: object) -> Fraction:
    return Fraction(str(value))


@dataclass
class _Sub:
    customer: str
    start: float
    # (effective time, phase, event time, id, mrr); sorted = the order of application.
    steps: list[tuple[float, int, float, str, Fraction]] = field(default_factory=list)
    cancel: float | None = None

    def active(self, t: float) -> bool:
        return self.start <= t and (self.cancel is None or self.cancel > t)

    def mrr(self, t: float) -> Fraction:
        if not self.active(t):
            return Fraction(0)
        return [s[4] for s in sorted(self.steps) if s[0] <= t][-1]


@dataclass
class _Complaint:
    channel: str
    opened: float
    closed: float | None = None  # effective close time
    upheld: bool = False


def _subscriptions(events: list[Ev]) -> list[_Sub]:
    by_id: dict[str, list[Ev]] = {}
    for e in events:
        if e["type"].startswith("subscription."):
            by_id.setdefault(e["data"]["subscription_id"], []).append(e)
    subs = []
    for evs in by_id.values():
        starts = [e for e in evs if e["type"] == "subscription.started"]
        if not starts:
            continue
        first = min(starts, key=lambda e: (_t(e), e["id"]))
        start = _t(first)
        sub = _Sub(first["data"]["customer_id"], start)
        sub.steps.append((start, 0, start, first["id"], _money(first["data"]["mrr"])))
        for e in evs:
            if e["type"] == "subscription.changed":
                sub.steps.append((max(_t(e), start), 1, _t(e), e["id"],
                                  _money(e["data"]["mrr"])))
        cancels = [max(_t(e), start) for e in evs if e["type"] == "subscription.cancelled"]
        sub.cancel = min(cancels, default=None)
        subs.append(sub)
    return subs


def _complaints(events: list[Ev]) -> list[_Complaint]:
    by_id: dict[str, list[Ev]] = {}
    for e in events:
        if e["type"].startswith("complaint."):
            by_id.setdefault(e["data"]["complaint_id"], []).append(e)
    out = []
    for evs in by_id.values():
        opens = [e for e in evs if e["type"] == "complaint.opened"]
        if not opens:
            continue
        first = min(opens, key=lambda e: (_t(e), e["id"]))
        opened = _t(first)
        complaint = _Complaint(_channel(first["data"]["channel"]), opened)
        closes = [(max(_t(e), opened), _t(e), e["id"], e) for e in evs
                  if e["type"] == "complaint.closed"]
        if closes:
            eff, _, _, close = min(closes, key=lambda c: c[:3])
            complaint.closed = eff
            complaint.upheld = close["data"].get("upheld", False) is True
        out.append(complaint)
    return out


def _set(out: dict[SampleKey, float], name: str, value: Fraction | None,
         **labels: str) -> None:
    if value is not None:
        out[_key(name, **labels)] = float(value)


def _frac(num: Fraction | int, den: Fraction | int) -> Fraction | None:
    return Fraction(num) / den if den else None


def expected_customer_metrics(events: list[dict[str, Any]], now: float, tz: str = "UTC",
                              gross_margin: float = 1.0) -> dict[SampleKey, float]:
    """Every series of the customers family at ``now``, keyed like the exporter's samples."""
    zone = ZoneInfo(tz)
    seen: set[str] = set()
    kept: list[Ev] = []
    for e in events:
        if e["id"] in seen:
            continue
        seen.add(e["id"])
        if e["type"] in TYPES and _t(e) <= now:
            kept.append(e)

    subs = _subscriptions(kept)
    complaints = _complaints(kept)
    customers = {s.customer for s in subs}

    def active_customers(t: float) -> set[str]:
        return {s.customer for s in subs if s.active(t)}

    out: dict[SampleKey, float] = {}
    active_now = active_customers(now)
    out[_key("cx_customers_active")] = len(active_now)
    out[_key("cx_mrr")] = float(sum((s.mrr(now) for s in subs), Fraction(0)))

    churn_30d: Fraction | None = None
    for window, days in WINDOWS.items():
        ws = _local_midnight(now, zone, days)

        def inside(t: float, ws: float = ws) -> bool:
            return ws <= t <= now

        mine = [e for e in kept if inside(_t(e))]
        signups = [e for e in mine if e["type"] == "customer.signed_up"]
        for source in SOURCES:
            out[_key("cx_signups", window=window, source=source)] = sum(
                1 for e in signups if _source(e["data"]["source"]) == source)
        referred = sum(1 for e in signups if e["data"].get("referral_id") not in (None, ""))
        out[_key("cx_referred_signups", window=window)] = referred
        out[_key("cx_referrals_sent", window=window)] = sum(
            1 for e in mine if e["type"] == "referral.sent")
        out[_key("cx_customers_new", window=window)] = sum(
            1 for c in customers if inside(min(s.start for s in subs if s.customer == c)))

        at_start = active_customers(ws)
        out[_key("cx_customers_at_start", window=window)] = len(at_start)
        out[_key("cx_customers_retained", window=window)] = len(at_start & active_now)
        retention = _frac(len(at_start & active_now), len(at_start))
        churn = None if retention is None else 1 - retention
        _set(out, "cx_customer_retention_ratio", retention, window=window)
        _set(out, "cx_customer_churn_ratio", churn, window=window)
        _set(out, "cx_viral_coefficient", _frac(referred, len(at_start)), window=window)
        if window == "30d":
            churn_30d = churn

        start_mrr = Fraction(0)
        lost = Fraction(0)
        delta = Fraction(0)
        for s in subs:
            if not s.active(ws):
                continue
            d = s.mrr(now) - s.mrr(ws)
            start_mrr += s.mrr(ws)
            lost += max(-d, Fraction(0))
            delta += d
        out[_key("cx_mrr_at_start", window=window)] = float(start_mrr)
        out[_key("cx_mrr_now_of_start", window=window)] = float(start_mrr + delta)
        out[_key("cx_mrr_contraction", window=window)] = float(lost)
        _set(out, "cx_revenue_retention_ratio", _frac(start_mrr - lost, start_mrr),
             window=window, kind="gross")
        _set(out, "cx_revenue_retention_ratio", _frac(start_mrr + delta, start_mrr),
             window=window, kind="net")

        opened_total = 0
        for channel in CHANNELS:
            labels = {"window": window, "channel": channel}
            ours = [c for c in complaints if c.channel == channel]
            opened = sum(1 for c in ours if inside(c.opened))
            opened_total += opened
            out[_key("cx_complaints_opened", **labels)] = opened
            closed = [c for c in ours if c.closed is not None and inside(c.closed)]
            durations = [Fraction(c.closed) - Fraction(c.opened)
                         for c in closed if c.closed is not None]
            _summary(out, "cx_complaint_resolution_seconds",
                     [float(d) for d in durations], **labels)
            out[_key("cx_complaints_closed", **labels)] = len(closed)
            out[_key("cx_complaints_upheld", **labels)] = sum(1 for c in closed if c.upheld)
            for within, seconds in WITHIN.items():
                out[_key("cx_complaints_closed_within", within=within, **labels)] = sum(
                    1 for d in durations if d <= seconds)
                _set(out, "cx_complaints_closed_within_ratio",
                     _frac(sum(1 for d in durations if d <= seconds), len(closed)),
                     within=within, **labels)
            _set(out, "cx_complaint_upheld_ratio",
                 _frac(sum(1 for c in closed if c.upheld), len(closed)), **labels)
        _set(out, "cx_complaints_per_1000_customers",
             _frac(1000 * opened_total, len(active_now)), window=window)

    for channel in CHANNELS:
        out[_key("cx_complaints_open", channel=channel)] = sum(
            1 for c in complaints if c.channel == channel and c.opened <= now
            and (c.closed is None or c.closed > now))

    if churn_30d and active_now:
        mrr_now = sum((s.mrr(now) for s in subs), Fraction(0))
        _set(out, "cx_customer_lifetime_value",
             mrr_now / len(active_now) * Fraction(gross_margin) / churn_30d)
    return out
