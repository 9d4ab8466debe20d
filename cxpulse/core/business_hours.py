"""Business-hours deadlines for SLA targets (SPEC §2, "SLA policies").

Only time inside a schedule's open intervals, and outside pauses, counts toward a
target; the deadline is the instant at which the counted time reaches it. Pure and
stdlib only, so agents, replays and tests share one arithmetic.

Speed: a schedule's open intervals are converted to UTC lazily, one local week
(Monday 00:00 to Monday 00:00 in the schedule's zone) at a time, and cached with
cumulative open seconds; a call costs a few bisects plus one step per week crossed.
Holidays make weeks differ, which is why each week is built and cached on its own.

Decisions, all local to the schedule's zone:

- An interval is [start, end) on the local wall clock of the day it starts on. An
  overnight interval ("22:00-06:00") runs from that day's 22:00 to the next day's
  06:00; in :class:`Schedule` its end is stored as minutes past the day's midnight, so
  above 1440 (06:00 next day = 1800).
- A wall-clock bound is the first instant whose wall clock reads it or later: a time
  in a spring-forward gap maps forward to the first instant after the gap (02:30 on a
  Berlin spring-forward night is 03:00 CEST); an ambiguous time (fall-back) maps to
  its first occurrence (fold=0), for starts and ends alike. So a 00:00-24:00 day lasts
  23 h or 25 h on those nights, and "02:30-03:30" on a Berlin fall-back night lasts 2 h.
- Holidays are explicit dates, and/or a country (optionally a subdivision) whose
  public holidays the ``holidays`` package knows (``country = "DE"``, ``subdivision =
  "BE"``): no hand-typed lists that go stale each year. A partial holiday given for a
  date overrides the country's full holiday on that date (a half day on Christmas Eve).
- A holiday (full or partial) governs its whole local date: the date's open time is
  exactly its own list (none for a full holiday). An overnight interval of the day
  before spills into it no further than midnight; a partial holiday's own overnight
  interval spills into the next day like a weekday's.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as public_holidays

Interval = tuple[int, int]
"""(start, end) in minutes past the local midnight of the day it starts on; an end
above 1440 is an overnight interval spilling into the next day."""
Intervals = tuple[Interval, ...]

DAY_MINUTES = 1440
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_KEYS = frozenset({"timezone", "holidays", "partial_holidays", "country", "subdivision",
                   *WEEKDAYS})
_MAX_CACHED_WEEKS = 4096
_INTERVAL_RE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


class ScheduleError(ValueError):
    """A bad schedule. Its message is one line naming the schedule and the fault, so
    start-up can stop with exactly that line."""


class _Week:
    """One local week's open intervals in UTC seconds, sorted and disjoint.

    ``cum[i]`` is the open seconds of intervals before ``i``; ``cum[-1]`` the week's total.
    """

    __slots__ = ("cum", "ends", "starts")

    def __init__(self, starts: list[float], ends: list[float]) -> None:
        self.starts = starts
        self.ends = ends
        cum = [0.0]
        for s, e in zip(starts, ends, strict=True):
            cum.append(cum[-1] + (e - s))
        self.cum = cum

    def before(self, t: float) -> float:
        """Open seconds of this week before instant ``t``."""
        i = bisect.bisect_right(self.ends, t)
        c = self.cum[i]
        if i < len(self.starts) and t > self.starts[i]:
            c += t - self.starts[i]
        return c


class _Compiled:
    """The derived state of a :class:`Schedule`: its zone and its cache of weeks."""

    __slots__ = ("country", "holidays", "partial", "week", "weeks", "zone")

    def __init__(self, schedule: Schedule, zone: ZoneInfo,
                 country: public_holidays.HolidayBase | None) -> None:
        self.zone = zone
        self.week = schedule.week
        self.holidays = schedule.holidays
        self.country = country
        self.partial = dict(schedule.partial_holidays)
        self.weeks: dict[int, _Week] = {}

    def closed_all_day(self, day: date) -> bool:
        return day in self.holidays or (
            self.country is not None and day not in self.partial and day in self.country)

    def own(self, day: date) -> Intervals:
        """The intervals starting on local date ``day``."""
        if self.closed_all_day(day):
            return ()
        found = self.partial.get(day)
        return self.week[day.weekday()] if found is None else found

    def week_of(self, t: float) -> int:
        """The index of the local week holding instant ``t`` (week 0 starts 0001-01-01)."""
        return (datetime.fromtimestamp(t, self.zone).toordinal() - 1) // 7

    def get(self, k: int) -> _Week:
        w = self.weeks.get(k)
        if w is None:
            if len(self.weeks) >= _MAX_CACHED_WEEKS:
                self.weeks.clear()
            w = self.weeks[k] = self._build(k)
        return w

    def _build(self, k: int) -> _Week:
        monday = date.fromordinal(7 * k + 1)
        starts: list[float] = []
        ends: list[float] = []
        for d in range(7):
            day = monday + timedelta(days=d)
            nxt = day + timedelta(days=1)
            cut = self.closed_all_day(nxt) or nxt in self.partial
            midnight = datetime.combine(day, time())
            for s, e in self.own(day):
                a = _utc(self.zone, midnight + timedelta(minutes=s))
                b = _utc(self.zone, midnight + timedelta(minutes=min(e, DAY_MINUTES) if cut else e))
                if b > a:
                    starts.append(a)
                    ends.append(b)
        return _Week(starts, ends)


def _utc(zone: ZoneInfo, wall: datetime) -> float:
    """The first instant whose wall clock in ``zone`` reads ``wall`` or later.

    fold=0 gives the first occurrence of an ambiguous time; a time in a gap comes back
    changed from the round trip, and then we search the transition second between the
    two folds' readings (tzdata transitions fall on whole seconds).
    """
    ts = wall.replace(tzinfo=zone).timestamp()
    if datetime.fromtimestamp(ts, zone).replace(tzinfo=None) == wall:
        return ts
    lo = math.floor(wall.replace(tzinfo=zone, fold=1).timestamp())
    hi = math.ceil(ts)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return float(hi)


def _fmt(iv: Interval) -> str:
    s, e = iv
    if e > DAY_MINUTES:
        e -= DAY_MINUTES
    return f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}"


def _check_day(fail: _Fail, label: str, ivs: Intervals) -> Intervals:
    """Validate one day's intervals and return them sorted by start."""
    for s, e in ivs:
        if not 0 <= s < DAY_MINUTES:
            raise fail(f"{label} interval starts outside the day ({s} minutes)")
        if e <= s:
            raise fail(f"{label} interval {_fmt((s, e))} ends before or at its start")
        if e > DAY_MINUTES and e >= s + DAY_MINUTES:
            raise fail(f"{label} overnight interval {_fmt((s, e))} lasts 24 hours or more")
    out = tuple(sorted(ivs))
    for prev, cur in itertools.pairwise(out):
        if cur[0] < prev[1]:
            raise fail(f"{label} intervals {_fmt(prev)} and {_fmt(cur)} overlap")
    return out


def _check_spill(fail: _Fail, label: str, ivs: Intervals, nlabel: str, nxt: Intervals) -> None:
    """An overnight interval must end before the next day's first interval starts."""
    if ivs and nxt and ivs[-1][1] - DAY_MINUTES > nxt[0][0]:
        raise fail(f"{label} overnight interval {_fmt(ivs[-1])} overlaps {nlabel} {_fmt(nxt[0])}")


class _Fail:
    """Builds the one-line :class:`ScheduleError` of one schedule."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, fault: str) -> ScheduleError:
        return ScheduleError(f"schedule {self.name!r}: {fault}".replace("\n", " "))


@dataclass(frozen=True, slots=True)
class Schedule:
    """Weekly opening intervals in one IANA zone, with holidays. Validated on creation.

    ``week[d]`` (0 = Monday) holds :data:`Interval` s; ``holidays`` are local dates closed
    all day; ``partial_holidays`` pairs a local date with the intervals replacing its
    weekday's (a tuple of pairs so the schedule stays hashable).
    """

    name: str
    zone: str
    week: tuple[Intervals, ...]
    holidays: frozenset[date] = frozenset()
    partial_holidays: tuple[tuple[date, Intervals], ...] = ()
    country: str | None = None
    subdivision: str | None = None
    _c: _Compiled = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        fail = _Fail(self.name)
        try:
            zone = ZoneInfo(self.zone)
        except Exception:
            raise fail(f"unknown time zone {self.zone!r}") from None
        if len(self.week) != 7:
            raise fail(f"week has {len(self.week)} days, not 7")
        week = tuple(_check_day(fail, WEEKDAYS[d], self.week[d]) for d in range(7))
        for d in range(7):
            n = (d + 1) % 7
            _check_spill(fail, WEEKDAYS[d], week[d], WEEKDAYS[n], week[n])
        if not any(week):
            raise fail("the week has no open time")
        partial = {
            day: _check_day(fail, day.isoformat(), ivs) for day, ivs in self.partial_holidays
        }
        if len(partial) != len(self.partial_holidays):
            raise fail("a partial holiday date is given twice")
        for day, ivs in partial.items():
            if day in self.holidays:
                raise fail(f"{day.isoformat()} is both a holiday and a partial holiday")
            nxt = day + timedelta(days=1)
            if nxt in self.holidays:
                continue
            nivs = partial.get(nxt, week[nxt.weekday()])
            _check_spill(fail, day.isoformat(), ivs, nxt.isoformat(), nivs)
        object.__setattr__(self, "week", week)
        object.__setattr__(self, "partial_holidays", tuple(sorted(partial.items())))
        country = None
        if self.country is not None:
            try:
                country = public_holidays.country_holidays(self.country, subdiv=self.subdivision)
            except Exception:
                where = self.country + (f"-{self.subdivision}" if self.subdivision else "")
                raise fail(f"unknown holiday country or subdivision {where!r}") from None
        elif self.subdivision is not None:
            raise fail("subdivision given without a country")
        object.__setattr__(self, "_c", _Compiled(self, zone, country))


CALENDAR: Schedule | None = None
"""The schedule of plain calendar time: pass it (``None``) to count every second."""


def _parse_time(fail: _Fail, label: str, text: object) -> Interval:
    if not isinstance(text, str):
        raise fail(f"{label}: interval {text!r} is not a string like '09:00-17:00'")
    m = _INTERVAL_RE.fullmatch(text)
    if m is None:
        raise fail(f"{label}: malformed interval {text!r} (want 'HH:MM-HH:MM')")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise fail(f"{label}: malformed time in {text!r}")
    s, e = h1 * 60 + m1, h2 * 60 + m2
    if e == s:
        raise fail(f"{label}: interval {text!r} ends at its start")
    if e < s:
        e += DAY_MINUTES  # overnight: spills into the next day
    return (s, e)


def _parse_list(fail: _Fail, label: str, value: object) -> Intervals:
    if not isinstance(value, list | tuple):
        raise fail(f"{label}: want a list of 'HH:MM-HH:MM', got {value!r}")
    return tuple(_parse_time(fail, label, v) for v in value)


def _parse_date(fail: _Fail, value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise fail(f"malformed holiday date {value!r} (want 'YYYY-MM-DD')")


def parse_schedule(name: str, table: Mapping[str, object]) -> Schedule:
    """A :class:`Schedule` from its TOML table; a missing weekday is closed.

    ``{"timezone": "Europe/Berlin", "mon": ["09:00-17:00"], ..., "holidays":
    ["2026-12-25"], "partial_holidays": {"2026-12-24": ["09:00-12:00"]}}``; holiday
    dates may also be TOML dates. Raises :class:`ScheduleError` (one line) on any fault.
    """
    fail = _Fail(name)
    if not isinstance(table, Mapping):
        raise fail(f"want a table, got {type(table).__name__}")
    unknown = sorted(str(k) for k in table if k not in _KEYS)
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}")
    zone = table.get("timezone")
    if not isinstance(zone, str):
        raise fail("missing or non-string timezone")
    week = tuple(_parse_list(fail, d, table.get(d, [])) for d in WEEKDAYS)
    raw_holidays = table.get("holidays", [])
    if not isinstance(raw_holidays, list | tuple):
        raise fail("holidays: want a list of dates")
    holidays = frozenset(_parse_date(fail, v) for v in raw_holidays)
    raw_partial = table.get("partial_holidays", {})
    if not isinstance(raw_partial, Mapping):
        raise fail("partial_holidays: want a table of date -> intervals")
    partial = tuple(
        (_parse_date(fail, k), _parse_list(fail, str(k), v)) for k, v in raw_partial.items()
    )
    country, subdivision = table.get("country"), table.get("subdivision")
    for key, value in (("country", country), ("subdivision", subdivision)):
        if value is not None and not isinstance(value, str):
            raise fail(f"{key}: want a code like 'DE' or 'BE', got {value!r}")
    return Schedule(name, zone, week, holidays, partial,
                    country if isinstance(country, str) else None,
                    subdivision if isinstance(subdivision, str) else None)


def open_seconds(schedule: Schedule | None, start: float, end: float) -> float:
    """Open seconds in [start, end) (UTC epoch seconds); every second for ``None``."""
    if not end > start:
        return 0.0
    if schedule is None or math.isinf(start) or math.isinf(end):
        return end - start
    c = schedule._c
    total = 0.0
    for k in range(c.week_of(start) - 1, c.week_of(end) + 2):
        w = c.get(k)
        total += w.before(end) - w.before(start)
    return total


def _reach(schedule: Schedule | None, cursor: float, remaining: float) -> float:
    """The first instant t >= cursor with open_seconds(cursor, t) >= remaining; for
    remaining == 0 the first open instant at or after cursor."""
    if schedule is None:
        return cursor + remaining
    c = schedule._c
    k = c.week_of(cursor) - 1  # the week before may spill past its Monday midnight
    while True:
        w = c.get(k)
        n = len(w.starts)
        i = bisect.bisect_right(w.ends, cursor)
        if i < n:
            first = max(cursor, w.starts[i])
            if remaining == 0:
                return first
            base = w.cum[i] + (first - w.starts[i])
            goal = base + remaining
            if goal <= w.cum[n]:
                j = max(i, bisect.bisect_left(w.cum, goal) - 1)
                if j == i:  # within the first interval: no detour through cum
                    return min(first + remaining, w.ends[i])
                return min(w.starts[j] + (remaining - (w.cum[j] - base)), w.ends[j])
            remaining = goal - w.cum[n]
            cursor = w.ends[n - 1]
        k += 1


def _merge(paused: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Paused intervals sorted and merged (overlapping or touching ones joined)."""
    out: list[tuple[float, float]] = []
    for a, b in sorted((a, b) for a, b in paused if b > a):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def deadline(
    schedule: Schedule | None,
    start: float,
    target: float,
    paused: Sequence[tuple[float, float]] = (),
) -> float:
    """The instant at which counted time (open and not paused) since ``start`` reaches
    ``target`` seconds; ``math.inf`` if a pause without end (b = inf) comes first.

    A deadline may be a closing instant or a pause's start: the counted time reaches
    the target there. ``target == 0`` gives the first counted instant at or after
    ``start`` (``start`` itself when it is open and not paused). Pauses are [a, b) in
    UTC seconds, in any order, possibly overlapping.
    """
    if not math.isfinite(start):
        raise ValueError(f"start must be finite, got {start!r}")
    if not target >= 0:
        raise ValueError(f"target must be >= 0, got {target!r}")
    if math.isinf(target):
        return math.inf
    cursor = float(start)
    remaining = float(target)
    for a, b in _merge(paused):
        if b <= cursor:
            continue
        if a > cursor:
            t = _reach(schedule, cursor, remaining)
            if t < a or (t == a and remaining > 0):
                return t
            remaining -= open_seconds(schedule, cursor, a)
            if remaining < 0:  # float noise only: t > a means less than remaining was open
                remaining = 0.0
        if math.isinf(b):
            return math.inf
        cursor = b
    return _reach(schedule, cursor, remaining)
