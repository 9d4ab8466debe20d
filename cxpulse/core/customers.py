"""Customers, revenue, referrals and complaints (SPEC §2, docs/families.md "Customers").

Windows are calendar days in the configured zone (``1d``, ``7d``, ``30d``), and the
ratios compare the state at a window's start (local midnight of its first day) with
the state now. Each customer's history (all its events, keyed by event id) gives its
*contributions*:

- counts in a local day (signups by source, referred signups, referrals sent, first
  subscription starts, complaints opened, complaint closes with their durations);
- step functions of the instant t, as their changes binned by local day: active at
  t, retained (active at t and now), Σ mrr at t, Σ over subscriptions active at t of
  their mrr now, and of their contraction max(mrr at t - mrr now, 0);
- the now-state: active now, mrr now, complaints open by channel.

:class:`CustomerTotals` keeps the sums of all customers' contributions, so an event
costs one customer's recomputation (its old contributions out, the new ones in), a
new day costs nothing, and a scrape reads at most about 40 day bins per series:
O(series), whatever the number of customers. A step function's value at a day's
midnight is its changes up to that instant: a base (changes older than the bins
kept) plus the bins up to the day before.

Money is kept in integer micro-units, so every sum is exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from cxpulse.core.dimensions import channel_label, source_label
from cxpulse.core.sorted_history import KIND, TIME
from cxpulse.schemas.events import Event

CUSTOMER_WINDOWS: dict[str, int] = {"1d": 1, "7d": 7, "30d": 30}
"""Window label -> calendar days ending today."""
KEPT_DAYS = 30
"""Events older than local midnight 30 days before today are late (SPEC §2)."""
FOLD_AFTER = 40
"""Bins older than this many days leave the totals: a step function's go into its base,
counts (outside every window) are dropped."""
WITHIN: dict[str, float] = {"3d": 3 * 86400.0, "8w": 56 * 86400.0}
MICROS = 1_000_000

# History entries: [time, kind, event id, ...] with these kinds and fields.
SIGNUP, STARTED, CHANGED, CANCELLED, REFERRAL, OPENED, CLOSED = "u", "a", "c", "x", "r", "o", "k"
SUB, MRR = 3, 4
"""Subscription entries: [t, kind, id, subscription_id, mrr micro-units]."""
COMPLAINT, CHANNEL, UPHELD = 3, 4, 4
"""Complaint entries: [t, "o", id, complaint_id, channel] / [t, "k", id, complaint_id, upheld]."""
SOURCE, REFERRED = 3, 4
"""Signup entries: [t, "u", id, source label, carries a referral_id]."""

# Series names of the totals.
SIGNUPS, REFERRED_SIGNUPS, REFERRALS, NEW = "signups", "referred", "referrals", "new"
COMPLAINTS_OPENED, COMPLAINTS_CLOSED, UPHELD_CLOSES = "opened", "closed", "upheld"
RESOLUTION_SUM = "resolution_sum"
"""Complaint resolution seconds in integer microseconds (as :class:`Sketch` sums them)."""
RESOLUTION = "resolution"
"""Complaint resolution samples: not summed here, sent to the team-quantile owner."""
ACTIVE, RETAINED, START_MRR, NOW_MRR_OF_START, CONTRACTION = (
    "active", "retained", "start_mrr", "now_mrr_of_start", "contraction")
STEPS = (ACTIVE, RETAINED, START_MRR, NOW_MRR_OF_START, CONTRACTION)
ACTIVE_NOW, MRR_NOW, OPEN_NOW = "active_now", "mrr_now", "open_now"

Contribution = tuple[str, str, int | None, int | float]
"""(series, label, local day or None for the now-state, value)."""


class LocalDays:
    """Local day numbers (proleptic ordinals) and their midnights in one zone."""

    __slots__ = ("_midnights", "tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._midnights: dict[int, float] = {}

    def day(self, t: float) -> int:
        return datetime.fromtimestamp(t, self.tz).date().toordinal()

    def midnight(self, day: int) -> float:
        """The instant local day ``day`` begins (DST-exact, from zoneinfo)."""
        m = self._midnights.get(day)
        if m is None:
            m = datetime.combine(date.fromordinal(day), time(), self.tz).timestamp()
            self._midnights[day] = m
        return m

    def step_bin(self, t: float) -> int:
        """The bin of a change at t: it is in the state at midnight of every later day,
        and at midnight of its own day only if it happened exactly then."""
        d = self.day(t)
        return d - 1 if self.midnight(d) == t else d

    def late_before(self, now: float) -> float:
        """Events of this family older than this instant are late."""
        return self.midnight(self.day(now) - KEPT_DAYS)


def customer_entry(event: Event) -> tuple[str, list[Any]] | None:
    """(customer id, history entry) of a ``cx.customers`` event."""
    data, t, kind = event.data, event.time, event.type
    customer = str(data["customer_id"])
    if kind == "customer.signed_up":
        return customer, [t, SIGNUP, event.id, source_label(data["source"]),
                          bool(data.get("referral_id"))]
    if kind in ("subscription.started", "subscription.changed"):
        code = STARTED if kind == "subscription.started" else CHANGED
        return customer, [t, code, event.id, str(data["subscription_id"]),
                          round(float(data["mrr"]) * MICROS)]
    if kind == "subscription.cancelled":
        return customer, [t, CANCELLED, event.id, str(data["subscription_id"])]
    if kind == "referral.sent":
        return customer, [t, REFERRAL, event.id]
    if kind == "complaint.opened":
        return customer, [t, OPENED, event.id, str(data["complaint_id"]),
                          channel_label(data["channel"])]
    if kind == "complaint.closed":
        return customer, [t, CLOSED, event.id, str(data["complaint_id"]),
                          data.get("upheld") is True]
    return None


@dataclass(slots=True)
class Subscription:
    """One subscription as its events define it (SPEC: the first ``started`` fixes it;
    a change or cancel dated before the start takes effect at the start)."""

    start: float
    changes: list[tuple[float, int]] = field(default_factory=list)
    """(effective time, mrr) in order, the start's own mrr first."""
    cancelled: float | None = None

    def mrr_at(self, t: float) -> int:
        """mrr at instant t while active (the last change at or before t)."""
        value = self.changes[0][1]
        for at, mrr in self.changes:
            if at > t:
                break
            value = mrr
        return value

    def active_at(self, t: float) -> bool:
        return self.start <= t and (self.cancelled is None or t < self.cancelled)

    @property
    def mrr_now(self) -> int:
        return 0 if self.cancelled is not None else self.changes[-1][1]


def subscriptions(history: list[list[Any]]) -> list[Subscription]:
    """The customer's subscriptions that have a ``started`` (entries are time-sorted)."""
    starts: dict[str, list[Any]] = {}
    for entry in history:
        if entry[KIND] == STARTED and entry[SUB] not in starts:
            starts[entry[SUB]] = entry
    subs = {sub: Subscription(entry[TIME], [(entry[TIME], entry[MRR])])
            for sub, entry in starts.items()}
    for entry in history:
        sub = subs.get(entry[SUB]) if entry[KIND] in (CHANGED, CANCELLED) else None
        if sub is None:
            continue
        at = max(entry[TIME], sub.start)
        if entry[KIND] == CHANGED:
            sub.changes.append((at, entry[MRR]))
        elif sub.cancelled is None:
            sub.cancelled = at
    for sub in subs.values():
        sub.changes.sort(key=lambda change: change[0])  # stable: the start's mrr stays first
    return list(subs.values())


def _steps(subs: list[Subscription], days: LocalDays) -> Iterable[Contribution]:
    """The step functions' changes, binned by local day."""
    active_now = any(s.cancelled is None for s in subs)
    instants = sorted({t for s in subs for t in (
        s.start, *(at for at, _ in s.changes), *(() if s.cancelled is None else (s.cancelled,)))})
    before = dict.fromkeys(STEPS, 0)
    for t in instants:
        running = [s for s in subs if s.active_at(t)]
        mrr_then = [s.mrr_at(t) for s in running]
        values = {
            ACTIVE: int(bool(running)),
            RETAINED: int(bool(running) and active_now),
            START_MRR: sum(mrr_then),
            NOW_MRR_OF_START: sum(s.mrr_now for s in running),
            CONTRACTION: sum(max(m - s.mrr_now, 0) for s, m in zip(running, mrr_then, strict=True)),
        }
        b = days.step_bin(t)
        for name in STEPS:
            if values[name] != before[name]:
                yield name, "", b, values[name] - before[name]
        before = values


def _complaints(history: list[list[Any]], days: LocalDays) -> Iterable[Contribution]:
    opened: dict[str, list[Any]] = {}
    closed: dict[str, list[Any]] = {}
    for entry in history:
        if entry[KIND] == OPENED:
            opened.setdefault(entry[COMPLAINT], entry)
    for entry in history:  # the earliest effective close wins: closes are time-sorted
        if entry[KIND] == CLOSED and entry[COMPLAINT] in opened:
            closed.setdefault(entry[COMPLAINT], entry)
    for complaint, entry in opened.items():
        t_open, channel = entry[TIME], entry[CHANNEL]
        yield COMPLAINTS_OPENED, channel, days.day(t_open), 1
        close = closed.get(complaint)
        if close is None:
            yield OPEN_NOW, channel, None, 1
            continue
        at = max(close[TIME], t_open)  # a close sent before its open waits for it
        day, took = days.day(at), at - t_open
        yield COMPLAINTS_CLOSED, channel, day, 1
        yield RESOLUTION_SUM, channel, day, round(took * 1e6)  # exact in microseconds
        yield RESOLUTION, channel, day, took
        for within, limit in WITHIN.items():
            if took <= limit:
                yield f"closed_within_{within}", channel, day, 1
        if close[UPHELD]:
            yield UPHELD_CLOSES, channel, day, 1


def contributions(history: list[list[Any]], days: LocalDays) -> list[Contribution]:
    """Everything one customer adds to the totals."""
    out: list[Contribution] = []
    for entry in history:
        kind = entry[KIND]
        if kind == SIGNUP:
            day = days.day(entry[TIME])
            out.append((SIGNUPS, entry[SOURCE], day, 1))
            if entry[REFERRED]:
                out.append((REFERRED_SIGNUPS, "", day, 1))
        elif kind == REFERRAL:
            out.append((REFERRALS, "", days.day(entry[TIME]), 1))
    subs = subscriptions(history)
    if subs:
        out.append((NEW, "", days.day(min(s.start for s in subs)), 1))
        now = [s for s in subs if s.cancelled is None]
        if now:
            out.append((ACTIVE_NOW, "", None, 1))
            out.append((MRR_NOW, "", None, sum(s.mrr_now for s in now)))
        out.extend(_steps(subs, days))
    out.extend(_complaints(history, days))
    return out


class CustomerTotals:
    """The sums of every customer's contributions, by series, label and local day."""

    def __init__(self, days: LocalDays) -> None:
        self.days = days
        self.by_day: dict[tuple[str, str], dict[int, int | float]] = {}
        self.base: defaultdict[tuple[str, str], int | float] = defaultdict(int)
        """Step-function changes older than :attr:`folded`."""
        self.current: defaultdict[tuple[str, str], int | float] = defaultdict(int)
        """The now-state: active customers, mrr, open complaints."""
        self.folded = 0
        """Step bins of days before this one are in :attr:`base`."""
        self._of: dict[str, list[Contribution]] = {}

    def replace(self, key: str, new: list[Contribution]) -> None:
        """Swap one customer's contributions (``[]``: the customer is gone)."""
        for item in self._of.pop(key, ()):
            self._add(item, -1)
        for item in new:
            self._add(item, 1)
        if new:
            self._of[key] = new

    def team_samples(self, key: str) -> list[list[Any]]:
        """One customer's complaint resolution samples for the team-quantile owner:
        ``[day, [channel], 0, seconds]`` (:mod:`cxpulse.core.team_quantiles`)."""
        return [[day, [label], 0, value] for name, label, day, value in self._of.get(key, ())
                if name == RESOLUTION]

    def clear(self) -> None:
        self.by_day.clear()
        self.base.clear()
        self.current.clear()
        self._of.clear()

    def _add(self, item: Contribution, sign: int) -> None:
        name, label, day, value = item
        if day is None:
            self.current[(name, label)] += sign * value
        elif day < self.folded:
            if name in STEPS:
                self.base[(name, label)] += sign * value
        elif name == RESOLUTION:
            return
        else:
            bins = self.by_day.setdefault((name, label), {})
            bins[day] = bins.get(day, 0) + sign * value

    def fold(self, today: int) -> None:
        """Let the bins older than :data:`FOLD_AFTER` days go (see there)."""
        edge = today - FOLD_AFTER
        if edge <= self.folded:
            return
        for (name, label), bins in self.by_day.items():
            for day in [d for d in bins if d < edge]:
                value = bins.pop(day)
                if name in STEPS:
                    self.base[(name, label)] += value
        self.folded = edge

    def in_days(self, name: str, label: str, first: int, last: int) -> int | float:
        """A count's sum over local days first..last."""
        bins = self.by_day.get((name, label), {})
        return sum(v for d, v in bins.items() if first <= d <= last)

    def at_midnight(self, name: str, day: int) -> int | float:
        """A step function's value at the midnight local day ``day`` begins."""
        bins = self.by_day.get((name, ""), {})
        return self.base[(name, "")] + sum(v for d, v in bins.items() if d < day)
