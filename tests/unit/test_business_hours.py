"""Business-hours deadlines: hand-worked cases, every bad schedule, and a property test
against a naive minute-by-minute walk (SPEC §2, "SLA policies")."""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cxpulse.core.business_hours import (
    CALENDAR,
    Schedule,
    ScheduleError,
    deadline,
    open_seconds,
    parse_schedule,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"
H = 3600.0
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WORKDAYS, "sat", "sun")


def at(zone: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0, fold: int = 0) -> float:
    """UTC epoch seconds of a local wall-clock time."""
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone), fold=fold).timestamp()


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> float:
    return float(calendar.timegm((y, mo, d, h, mi, 0)))


def office(zone: str = BERLIN, **extra: Any) -> Schedule:
    """Mon-Fri 09:00-17:00."""
    return parse_schedule("office", {"timezone": zone, **{d: ["09:00-17:00"] for d in WORKDAYS},
                                     **extra})


def every_day(zone: str, interval: str, **extra: Any) -> Schedule:
    return parse_schedule("daily", {"timezone": zone, **{d: [interval] for d in ALL_DAYS},
                                    **extra})


# --- hand-worked cases -------------------------------------------------------------


def test_spec_example_friday_afternoon_is_due_monday_morning() -> None:
    s = office()
    assert deadline(s, at(BERLIN, 2026, 3, 6, 16), 2 * H) == at(BERLIN, 2026, 3, 9, 10)


def test_deadline_exactly_at_closing_time_is_the_closing_instant() -> None:
    s = office()
    assert deadline(s, at(BERLIN, 2026, 3, 9, 15), 2 * H) == at(BERLIN, 2026, 3, 9, 17)
    # Friday 16:00 + 1 h: Friday 17:00, not Monday 09:00.
    assert deadline(s, at(BERLIN, 2026, 3, 6, 16), H) == at(BERLIN, 2026, 3, 6, 17)
    # One second more runs over the weekend.
    assert deadline(s, at(BERLIN, 2026, 3, 6, 16), H + 1) == at(BERLIN, 2026, 3, 9, 9) + 1


def test_target_zero_is_the_first_counted_instant() -> None:
    s = office()
    inside = at(BERLIN, 2026, 3, 9, 10, 30)
    assert deadline(s, inside, 0) == inside
    # The closing instant itself is not open: the next opening.
    assert deadline(s, at(BERLIN, 2026, 3, 9, 17), 0) == at(BERLIN, 2026, 3, 10, 9)
    # Paused at start: the pause's end.
    assert deadline(s, inside, 0, [(inside - 60, inside + 60)]) == inside + 60


def test_start_outside_opening_hours() -> None:
    s = office()
    saturday = at(BERLIN, 2026, 3, 7, 11)
    assert deadline(s, saturday, 0) == at(BERLIN, 2026, 3, 9, 9)
    assert deadline(s, saturday, 3 * H) == at(BERLIN, 2026, 3, 9, 12)
    early = at(BERLIN, 2026, 3, 10, 6)
    assert deadline(s, early, 8 * H) == at(BERLIN, 2026, 3, 10, 17)
    late = at(BERLIN, 2026, 3, 10, 20)
    assert deadline(s, late, 8 * H + 60) == at(BERLIN, 2026, 3, 12, 9, 1)


def test_target_across_full_and_partial_holidays() -> None:
    s = office(holidays=["2026-12-25", "2026-12-31", "2027-01-01"],
               partial_holidays={"2026-12-24": ["09:00-12:00"]})
    # Wed 23 Dec 15:00: 2 h Wednesday, 3 h Thursday (partial), Friday a holiday,
    # 3 h more on Monday 28 Dec.
    assert deadline(s, at(BERLIN, 2026, 12, 23, 15), 8 * H) == at(BERLIN, 2026, 12, 28, 12)
    # Wed 30 Dec 16:00 + 2 h: Thursday and Friday are holidays -> Monday 4 Jan 10:00.
    assert deadline(s, at(BERLIN, 2026, 12, 30, 16), 2 * H) == at(BERLIN, 2027, 1, 4, 10)
    assert open_seconds(s, at(BERLIN, 2026, 12, 21), at(BERLIN, 2026, 12, 28)) == 27 * H


def test_partial_holiday_may_open_on_a_closed_day() -> None:
    s = office(partial_holidays={"2026-03-07": ["10:00-11:00"]})  # a Saturday
    assert deadline(s, at(BERLIN, 2026, 3, 6, 16), 2 * H) == at(BERLIN, 2026, 3, 7, 11)
    assert deadline(s, at(BERLIN, 2026, 3, 6, 16), 2 * H + 1) == at(BERLIN, 2026, 3, 9, 9) + 1


def test_24_7_across_dst_counts_real_hours() -> None:
    # Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
    s = every_day(BERLIN, "00:00-24:00")
    assert deadline(s, at(BERLIN, 2026, 3, 28, 12), 24 * H) == at(BERLIN, 2026, 3, 29, 13)
    assert deadline(s, at(BERLIN, 2026, 10, 24, 12), 24 * H) == at(BERLIN, 2026, 10, 25, 11)
    assert open_seconds(s, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)) == 23 * H
    assert open_seconds(s, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)) == 25 * H
    # New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
    n = every_day(NEW_YORK, "00:00-24:00")
    assert deadline(n, at(NEW_YORK, 2026, 3, 7, 12), 24 * H) == utc(2026, 3, 8, 17)
    assert deadline(n, at(NEW_YORK, 2026, 10, 31, 12), 24 * H) == utc(2026, 11, 1, 16)
    assert open_seconds(n, at(NEW_YORK, 2026, 11, 1), at(NEW_YORK, 2026, 11, 2)) == 25 * H


def test_bounds_inside_the_dst_hours_berlin() -> None:
    # 01:00 CET = 00:00Z .. 04:00 CEST = 02:00Z: 2 h on the spring-forward night.
    spring = every_day(BERLIN, "01:00-04:00")
    assert open_seconds(spring, utc(2026, 3, 28, 22), utc(2026, 3, 29, 22)) == 2 * H
    # Sunday 00:00 + 2.5 h: 2 h Sunday, 30 min from Monday 01:00 CEST (23:00Z Sunday).
    assert deadline(spring, at(BERLIN, 2026, 3, 29), 2.5 * H) == utc(2026, 3, 29, 23, 30)
    # Fall back: 01:00 CEST = 23:00Z .. 04:00 CET = 03:00Z: 4 h, due at closing.
    assert deadline(spring, at(BERLIN, 2026, 10, 25), 4 * H) == utc(2026, 10, 25, 3)
    # A start in the gap maps forward: 02:30 does not exist -> 03:00 CEST = 01:00Z.
    gap = every_day(BERLIN, "02:30-05:00")
    assert deadline(gap, utc(2026, 3, 28, 22), 0) == utc(2026, 3, 29, 1)
    assert open_seconds(gap, utc(2026, 3, 28, 22), utc(2026, 3, 29, 22)) == 2 * H
    # An ambiguous bound takes its first occurrence: 02:30 CEST = 00:30Z .. 03:30 CET
    # = 02:30Z, so the day's interval lasts 2 h.
    fold = every_day(BERLIN, "02:30-03:30")
    assert open_seconds(fold, utc(2026, 10, 24, 22), utc(2026, 10, 25, 22)) == 2 * H
    assert deadline(fold, utc(2026, 10, 24, 22), 0) == utc(2026, 10, 25, 0, 30)
    # An interval wholly inside the gap is empty that day.
    empty = every_day(BERLIN, "02:10-02:50")
    assert open_seconds(empty, utc(2026, 3, 28, 22), utc(2026, 3, 29, 22)) == 0
    assert deadline(empty, utc(2026, 3, 28, 22), 0) == utc(2026, 3, 30, 0, 10)


def test_overnight_schedule_across_dst_new_york() -> None:
    night = every_day(NEW_YORK, "22:00-06:00")
    # Sat 22:00 EST (03:00Z) .. Sun 06:00 EDT (10:00Z) = 7 h; the 8th hour is Sunday
    # 22:00-23:00 EDT.
    assert deadline(night, at(NEW_YORK, 2026, 3, 7, 22), 8 * H) == utc(2026, 3, 9, 3)
    # Sat 22:00 EDT (02:00Z) .. Sun 06:00 EST (11:00Z) = 9 h: due exactly at closing.
    assert deadline(night, at(NEW_YORK, 2026, 10, 31, 22), 9 * H) == utc(2026, 11, 1, 11)
    assert deadline(night, at(NEW_YORK, 2026, 10, 31, 22), 9 * H + 1) == utc(2026, 11, 2, 3) + 1


def test_overnight_weekday_intervals_spill_into_the_next_day() -> None:
    s = parse_schedule("nights", {"timezone": BERLIN, **{d: ["22:00-06:00"] for d in WORKDAYS}})
    # Friday night spills into Saturday until 06:00; then Monday 22:00.
    assert deadline(s, at(BERLIN, 2026, 3, 7, 5), 2 * H) == at(BERLIN, 2026, 3, 9, 23)
    assert deadline(s, at(BERLIN, 2026, 3, 6, 23), 7 * H) == at(BERLIN, 2026, 3, 7, 6)
    # Sunday holds only nothing: Sunday 03:00 waits until Monday 22:00.
    assert deadline(s, at(BERLIN, 2026, 3, 8, 3), 0) == at(BERLIN, 2026, 3, 9, 22)


def test_overnight_spill_stops_at_a_holiday() -> None:
    s = parse_schedule("nights", {"timezone": BERLIN, **{d: ["22:00-06:00"] for d in WORKDAYS},
                                  "holidays": ["2026-03-10"]})
    # Monday night stops at Tuesday (holiday) 00:00; Tuesday night is closed.
    assert open_seconds(s, at(BERLIN, 2026, 3, 9), at(BERLIN, 2026, 3, 11)) == 2 * H
    assert deadline(s, at(BERLIN, 2026, 3, 9, 23), 2 * H) == at(BERLIN, 2026, 3, 11, 23)


def test_sunday_overnight_wraps_into_monday() -> None:
    s = parse_schedule("wrap", {"timezone": BERLIN, "sun": ["20:00-02:00"], "mon": ["08:00-09:00"]})
    sunday = at(BERLIN, 2026, 3, 8, 20)
    assert deadline(s, sunday, 6 * H) == at(BERLIN, 2026, 3, 9, 2)
    assert deadline(s, sunday, 7 * H) == at(BERLIN, 2026, 3, 9, 9)
    assert open_seconds(s, sunday, sunday + 7 * 86400) == 7 * H


def test_pause_straddling_the_deadline() -> None:
    s = office()
    start = at(BERLIN, 2026, 3, 9, 9)
    pause = (at(BERLIN, 2026, 3, 9, 10, 30), at(BERLIN, 2026, 3, 9, 11, 30))
    assert deadline(s, start, 2 * H, [pause]) == at(BERLIN, 2026, 3, 9, 12)
    # A pause over closing time only costs its open part; unsorted and overlapping pauses.
    pauses = [(at(BERLIN, 2026, 3, 9, 16), at(BERLIN, 2026, 3, 10, 10)),
              (at(BERLIN, 2026, 3, 9, 15), at(BERLIN, 2026, 3, 9, 16, 30))]
    assert deadline(s, start, 8 * H, pauses) == at(BERLIN, 2026, 3, 10, 12)
    # A pause that ends before start changes nothing.
    assert deadline(s, start, H, [(start - 10 * H, start - H)]) == start + H


def test_open_ended_pause() -> None:
    s = office()
    start = at(BERLIN, 2026, 3, 9, 9)
    pause = (at(BERLIN, 2026, 3, 9, 10), math.inf)
    assert deadline(s, start, 2 * H, [pause]) == math.inf
    # Reached exactly when the pause begins: that instant.
    assert deadline(s, start, H, [pause]) == at(BERLIN, 2026, 3, 9, 10)
    assert deadline(s, start, 0, [(start, math.inf)]) == math.inf
    # Paused from the start, before opening: never.
    assert deadline(s, start - 3 * H, 60, [(start - 4 * H, math.inf)]) == math.inf


def test_calendar_time() -> None:
    assert CALENDAR is None
    assert deadline(CALENDAR, 1000.0, 3600) == 4600.0
    assert deadline(None, 1000.0, 3600, [(1500.0, 1600.0), (1550.0, 1700.0), (0.0, 1100.0)]) \
        == 4600.0 + 200 + 100  # the first two merge into 200 s; 100 s of the last
    assert deadline(None, 1000.0, 3600, [(2000.0, math.inf)]) == math.inf
    assert deadline(None, 1000.0, 1000, [(2000.0, math.inf)]) == 2000.0
    assert open_seconds(None, 10.0, 70.5) == 60.5


def test_fractional_seconds_and_long_targets() -> None:
    s = office(holidays=["2026-04-03", "2026-04-06"])
    start = at(BERLIN, 2026, 3, 9, 9) + 0.25
    assert deadline(s, start, 0.5) == start + 0.5
    # 40 working hours a week: 120 h by Friday 27 March, 32 h in the week of Good Friday,
    # Easter Monday closed, 8 h on Tuesday 7 April -> 17:00 (CEST since 29 March).
    assert deadline(s, at(BERLIN, 2026, 3, 9, 9), 160 * H) == at(BERLIN, 2026, 4, 7, 17)
    assert open_seconds(s, at(BERLIN, 2026, 3, 9, 9), at(BERLIN, 2026, 4, 7, 17)) == 160 * H
    # A year: 52 weeks less the holidays; the loop steps one week at a time.
    year = deadline(s, at(BERLIN, 2026, 1, 5, 9), 52 * 40 * H)
    assert year == at(BERLIN, 2027, 1, 5, 17)
    assert open_seconds(s, at(BERLIN, 2026, 1, 5, 9), year) == 52 * 40 * H


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="target"):
        deadline(office(), 0.0, -1)
    with pytest.raises(ValueError, match="start"):
        deadline(office(), math.inf, 1)
    assert deadline(office(), 0.0, math.inf) == math.inf


def test_schedule_is_hashable_and_comparable() -> None:
    a, b = office(), office()
    assert a == b and hash(a) == hash(b)
    assert a.week[0] == ((540, 1020),)
    n = every_day(NEW_YORK, "22:00-06:00")
    assert n.week[0] == ((1320, 1800),)


# --- bad schedules: one line naming the schedule -------------------------------------

BAD: list[tuple[dict[str, Any], str]] = [
    ({"timezone": "Mars/Olympus_Mons", "mon": ["09:00-17:00"]}, "unknown time zone"),
    ({"timezone": "", "mon": ["09:00-17:00"]}, "unknown time zone"),
    ({"mon": ["09:00-17:00"]}, "timezone"),
    ({"timezone": BERLIN, "mon": ["9-17"]}, "malformed"),
    ({"timezone": BERLIN, "mon": ["09:00-25:00"]}, "malformed"),
    ({"timezone": BERLIN, "mon": ["09:60-10:00"]}, "malformed"),
    ({"timezone": BERLIN, "mon": ["24:00-02:00"]}, "malformed"),
    ({"timezone": BERLIN, "mon": ["24:30"]}, "malformed"),
    ({"timezone": BERLIN, "mon": [900]}, "not a string"),
    ({"timezone": BERLIN, "mon": "09:00-17:00"}, "want a list"),
    ({"timezone": BERLIN, "mon": ["09:00-09:00"]}, "ends at its start"),
    ({"timezone": BERLIN, "mon": ["09:00-12:00", "11:00-13:00"]}, "overlap"),
    ({"timezone": BERLIN, "mon": ["09:00-12:00", "22:00-01:00", "23:00-23:30"]}, "overlap"),
    ({"timezone": BERLIN, "mon": ["22:00-06:00"], "tue": ["05:00-09:00"]}, "overlaps tue"),
    ({"timezone": BERLIN, "sun": ["22:00-06:00"], "mon": ["05:00-09:00"]}, "overlaps mon"),
    ({"timezone": BERLIN, "mon": ["09:00-17:00"], "lunch": ["12:00-13:00"]}, "unknown key"),
    ({"timezone": BERLIN, "Mon": ["09:00-17:00"]}, "unknown key"),
    ({"timezone": BERLIN}, "no open time"),
    ({"timezone": BERLIN, "mon": [], "sun": []}, "no open time"),
    ({"timezone": BERLIN, "mon": ["09:00-17:00"], "holidays": ["2026-13-01"]}, "holiday date"),
    ({"timezone": BERLIN, "mon": ["09:00-17:00"], "holidays": "2026-12-25"}, "holidays"),
    ({"timezone": BERLIN, "mon": ["09:00-17:00"],
      "partial_holidays": {"2026-12-24": ["09:00-12:00", "11:00-13:00"]}}, "overlap"),
    ({"timezone": BERLIN, "mon": ["09:00-17:00"], "tue": ["09:00-17:00"],
      "partial_holidays": {"2026-12-21": ["20:00-10:00"]}}, "overlaps 2026-12-22"),
    ({"timezone": BERLIN, "mon": ["09:00-17:00"], "holidays": ["2026-12-24"],
      "partial_holidays": {"2026-12-24": ["09:00-12:00"]}}, "both"),
    ({"timezone": BERLIN, "mon": ["09:00-17:00"], "partial_holidays": ["2026-12-24"]},
     "partial_holidays"),
]


@pytest.mark.parametrize(("table", "fault"), BAD)
def test_bad_schedule_is_one_line_naming_it(table: dict[str, Any], fault: str) -> None:
    with pytest.raises(ScheduleError) as info:
        parse_schedule("support-eu", table)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("schedule 'support-eu': ")
    assert fault in message
    assert isinstance(info.value, ValueError)


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ScheduleError, match=r"'x'.*overlap"):
        Schedule("x", BERLIN, (((540, 720), (600, 700)), (), (), (), (), (), ()))
    with pytest.raises(ScheduleError, match=r"'x'.*7"):
        Schedule("x", BERLIN, (((540, 720),),))
    with pytest.raises(ScheduleError, match=r"'x'.*24 hours"):
        Schedule("x", BERLIN, (((540, 2000),), (), (), (), (), (), ()))


def test_good_edge_schedules_parse() -> None:
    ok = parse_schedule("ok", {
        "timezone": "UTC",
        "mon": ["09:00-12:00", "12:00-17:00", "22:00-00:00"],  # touching; to midnight
        "tue": ["00:00-24:00"],
        "wed": ["23:00-07:00"], "thu": ["07:00-08:00"],  # the spill touches thursday's
        "holidays": [date(2026, 12, 25)],  # a TOML date
        "partial_holidays": {"2026-12-24": ["22:00-02:00"]},  # Friday 25th is a holiday
    })
    assert ok.week[0] == ((540, 720), (720, 1020), (1320, 1440))
    assert open_seconds(ok, utc(2026, 12, 24), utc(2026, 12, 26)) == 2 * H


# --- property test against a naive walk --------------------------------------------

# Each zone with the days of its 2026 DST changes (none in Kathmandu and UTC):
# Lord Howe moves by 30 minutes, Kathmandu is UTC+05:45.
ZONE_DAYS: dict[str, list[date]] = {
    BERLIN: [date(2026, 3, 29), date(2026, 10, 25)],
    NEW_YORK: [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],
    "Asia/Kathmandu": [date(2026, 6, 15)],
    "UTC": [date(2026, 6, 15)],
}


@dataclass
class Model:
    """The test's own view of a schedule: minute intervals per weekday and date."""

    week: list[list[tuple[int, int]]]
    full: set[date]
    partial: dict[date, list[tuple[int, int]]]

    def own(self, day: date) -> list[tuple[int, int]]:
        if day in self.full:
            return []
        return self.partial.get(day, self.week[day.weekday()])

    def open_at(self, wall: datetime) -> bool:
        """Is local wall-clock time ``wall`` inside an interval (holiday-aware)?"""
        today = wall.date()
        for day in (today, today - timedelta(days=1)):
            nxt = day + timedelta(days=1)
            cut = nxt in self.full or nxt in self.partial
            midnight = datetime.combine(day, time())
            for s, e in self.own(day):
                end = min(e, 1440) if cut else e
                if midnight + timedelta(minutes=s) <= wall < midnight + timedelta(minutes=end):
                    return True
        return False


def hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@st.composite
def day_intervals(draw: st.DrawFn) -> list[tuple[int, int]]:
    """0-2 same-day intervals on a half-hour grid, maybe then an overnight one."""
    # Half hours, often inside 01:00-03:30 where the DST changes happen.
    grid = st.one_of(st.integers(0, 48), st.integers(2, 7))
    points = sorted(draw(st.sets(grid, max_size=4)))
    points = points[: len(points) // 2 * 2]
    ivs = [(points[i] * 30, points[i + 1] * 30) for i in range(0, len(points), 2)]
    last = ivs[-1][1] // 30 if ivs else 0
    if last < 47 and draw(st.integers(0, 3)) == 0:
        s = draw(st.integers(max(last, 1), 47))  # hence e < s: overnight
        e = draw(st.integers(0, s - 1))
        ivs.append((s * 30, e * 30 + 1440))
    return ivs


@st.composite
def cases(draw: st.DrawFn) -> tuple[Schedule, Model, float]:
    zone = draw(st.sampled_from(sorted(ZONE_DAYS)))
    anchor = draw(st.sampled_from(ZONE_DAYS[zone]))
    week = [draw(day_intervals()) for _ in range(7)]
    if draw(st.integers(0, 2)) == 0:  # every day alike, so the DST day has the bounds too
        week = [week[0]] * 7
    near = st.integers(-6, 12).map(lambda n: anchor + timedelta(days=n))
    full = draw(st.sets(near, max_size=3))
    partial = draw(st.dictionaries(near, day_intervals(), max_size=2))
    table: dict[str, Any] = {
        "timezone": zone,
        **{name: [f"{hhmm(s)}-{hhmm(e % 1440)}" for s, e in ivs]
           for name, ivs in zip(ALL_DAYS, week, strict=True)},
        "holidays": [d.isoformat() for d in full],
        "partial_holidays": {d.isoformat(): [f"{hhmm(s)}-{hhmm(e % 1440)}" for s, e in ivs]
                             for d, ivs in partial.items()},
    }
    try:
        sched = parse_schedule("prop", table)
    except ScheduleError:
        assume(False)
        raise
    base = float(calendar.timegm(anchor.timetuple()))
    start = base + 60 * draw(st.integers(-2 * 1440, 1440))
    return sched, Model(week, full, partial), start


class Walk:
    """Steps through UTC minutes from ``start`` with the running maximum of the wall
    clock: an instant is open iff that maximum lies in an interval, which is exactly
    "a bound is the first instant whose wall clock reads it or later"."""

    def __init__(self, model: Model, zone: str, start: float) -> None:
        self.model = model
        self.zone = ZoneInfo(zone)
        self.t = start - 3 * H
        self.top = self.wall(self.t)
        while self.t < start:
            self.step()

    def wall(self, t: float) -> datetime:
        return datetime.fromtimestamp(t, self.zone).replace(tzinfo=None)

    def step(self) -> None:
        self.t += 60
        self.top = max(self.top, self.wall(self.t))

    def is_open(self) -> bool:
        return self.model.open_at(self.top)


def naive_deadline(model: Model, zone: str, start: float, target_min: int,
                   pauses: list[tuple[float, float]]) -> float:
    forever = min((a for a, b in pauses if b == math.inf), default=math.inf)
    walk = Walk(model, zone, start)
    counted = 0
    while True:
        t = walk.t
        if t >= forever:
            return math.inf
        if walk.is_open() and not any(a <= t < b for a, b in pauses):
            if target_min == 0:
                return t
            counted += 1
            if counted == target_min:
                return t + 60
        walk.step()


def weekly_open_minutes(model: Model) -> int:
    return sum(e - s for ivs in model.week for s, e in ivs)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                                  HealthCheck.too_slow])
@given(cases(), st.data())
def test_deadline_matches_naive_walk(case: tuple[Schedule, Model, float],
                                     data: st.DataObject) -> None:
    sched, model, start = case
    cap = min(3 * 1440, weekly_open_minutes(model))
    target = data.draw(st.integers(0, cap), label="target_min")
    pauses = data.draw(st.lists(st.tuples(
        st.integers(-600, 5 * 1440).map(lambda m: start + 60 * m),
        st.one_of(st.integers(1, 2000).map(lambda m: 60.0 * m), st.just(math.inf)),
    ).map(lambda p: (p[0], p[0] + p[1])), max_size=3), label="pauses")
    expected = naive_deadline(model, sched.zone, start, target, pauses)
    assert deadline(sched, start, target * 60, pauses) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much,
                                                                  HealthCheck.too_slow])
@given(cases(), st.integers(0, 4 * 1440))
def test_open_seconds_matches_naive_walk(case: tuple[Schedule, Model, float],
                                         span_min: int) -> None:
    sched, model, start = case
    walk = Walk(model, sched.zone, start)
    counted = 0
    for _ in range(span_min):
        counted += walk.is_open()
        walk.step()
    assert open_seconds(sched, start, start + 60 * span_min) == 60 * counted


def test_country_holidays_come_from_the_holidays_package() -> None:
    """Berlin, Mon-Fri 09:00-17:00 with Germany's (Berlin's) public holidays; the half
    day on Christmas Eve is given as a partial holiday. Thu 24 Dec 2026 11:00 + 2 h:
    1 h on the 24th (09-12), Fri 25 Dec a public holiday, the weekend, Mon 28 Dec
    09:00-10:00 -> Mon 10:00. Without the country, 11:00-12:00 on the 24th, then Friday
    25th 09:00-10:00 -> Fri 10:00."""
    week = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 12, 24, 11, tzinfo=zone).timestamp()
    with_country = parse_schedule("berlin", {
        "timezone": "Europe/Berlin", **week, "country": "DE", "subdivision": "BE",
        "partial_holidays": {"2026-12-24": ["09:00-12:00"]}})
    plain = parse_schedule("plain", {"timezone": "Europe/Berlin", **week,
                                     "partial_holidays": {"2026-12-24": ["09:00-12:00"]}})
    monday = datetime(2026, 12, 28, 10, tzinfo=zone).timestamp()
    assert deadline(with_country, start, 7200) == monday
    assert deadline(plain, start, 7200) == datetime(2026, 12, 25, 10, tzinfo=zone).timestamp()
