"""Distinct users per window: hand-worked cases, time zones, DST, events after now."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cxpulse.core.active_users import ActiveUsers, local_midnight_minute
from cxpulse.core.windows import bucket

BERLIN = ZoneInfo("Europe/Berlin")
UTC = ZoneInfo("UTC")


def at(text: str, tz: ZoneInfo = BERLIN) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


def test_a_user_active_across_midnight_counts_once_today_and_once_in_24h() -> None:
    users = ActiveUsers({}, BERLIN)
    users.observe("u1", at("2026-11-21T23:50"), 0)
    users.observe("u1", at("2026-11-22T00:10"), 0)
    users.observe("u2", at("2026-11-21T23:55"), 1)  # yesterday only
    now = at("2026-11-22T00:30")
    users.advance(now)
    counts = users.counts(now)
    assert counts["1d"] == 1  # only u1 was active since local midnight
    assert counts["24h"] == 2
    assert counts["1h"] == 2
    assert counts["5m"] == 0
    assert counts["7d"] == counts["28d"] == 2


def test_local_midnight_on_the_25_hour_day_of_october_in_berlin() -> None:
    # 2026-10-25: clocks go back at 03:00 CEST; the day is 25 h long.
    now = at("2026-10-25T23:30")
    midnight = local_midnight_minute(now, BERLIN)
    assert midnight == bucket(datetime(2026, 10, 24, 22, 0, tzinfo=UTC).timestamp())
    users = ActiveUsers({}, BERLIN)
    users.observe("early", at("2026-10-25T00:05"), 0)  # 22:05 UTC the day before
    users.observe("before", at("2026-10-24T23:59"), 0)
    users.advance(now)
    assert users.counts(now)["1d"] == 1
    # 24h trailing from 23:30 CET (22:30 UTC) starts at 22:31 UTC the day before:
    # 00:05 CEST (22:05 UTC) is outside it, though the calendar day includes it.
    assert users.counts(now)["24h"] == 0


def test_seven_days_are_calendar_days_ending_today() -> None:
    users = ActiveUsers({}, UTC)
    now = at("2026-11-22T12:00", UTC)
    users.observe("six-days-ago", at("2026-11-16T00:00", UTC), 0)
    users.observe("seven-days-ago", at("2026-11-15T23:59", UTC), 0)
    users.observe("27-days-ago", at("2026-10-26T00:00", UTC), 0)
    users.advance(now)
    counts = users.counts(now)
    assert (counts["7d"], counts["28d"]) == (1, 3)


def test_minutes_after_now_wait_until_now_reaches_them() -> None:
    users = ActiveUsers({}, UTC)
    t0 = at("2026-11-22T12:00", UTC)
    users.advance(t0)
    users.observe("u", t0 - 3000, 0)
    users.observe("u", t0 + 600, 0)  # ahead of now
    assert users.counts(t0)["5m"] == 0 and users.counts(t0)["1h"] == 1
    users.advance(t0 + 600)
    assert users.counts(t0 + 600)["5m"] == 1


def test_rebuilt_from_the_table_gives_the_same_counts() -> None:
    table: dict[str, object] = {}
    users = ActiveUsers(table, BERLIN)
    t0 = at("2026-11-22T12:00")
    for n in range(300):
        users.observe(f"u{n % 97}", t0 - n * 517.0, n % 6)
    users.advance(t0)
    before = users.counts(t0)
    again = ActiveUsers(table, BERLIN)
    again.rebuild(set(range(6)), t0)
    assert again.counts(t0) == before
    assert before["28d"] == 97
