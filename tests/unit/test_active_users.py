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
        users.observe(f"u{n % 97}", t0 - n * 517.0, n % 97 % 6)  # a user keeps its partition
    users.write_blocks()
    users.advance(t0)
    before = users.counts(t0)
    again = ActiveUsers(table, BERLIN)
    again.rebuild(set(range(6)), t0)
    assert again.counts(t0) == before
    assert before["28d"] == 97


def _plain_counts(seen: dict[str, list[float]], now: float, tz: ZoneInfo) -> dict[str, int]:
    """Distinct users per window, straight from every event time kept in full."""
    last = bucket(now)
    first = {"5m": last - 4, "1h": last - 59, "24h": last - 1439,
             "1d": local_midnight_minute(now, tz), "7d": local_midnight_minute(now, tz, 6),
             "28d": local_midnight_minute(now, tz, 27)}
    return {name: sum(1 for times in seen.values()
                      if any(lo <= bucket(t) <= last for t in times))
            for name, lo in first.items()}


def test_forty_days_of_traffic_against_a_plain_count_and_after_a_rebuild() -> None:
    # 40 days, 3,000 users with returning visits, events up to 20 minutes out of order;
    # the table is pruned as it goes (blocks of 25 h, day sketches of 28 days).
    import random

    rng = random.Random(7)
    table: dict[str, object] = {}
    users = ActiveUsers(table, BERLIN)
    seen: dict[str, list[float]] = {}
    start = at("2026-10-01T00:00")
    now = start
    for step in range(40 * 48):  # every 30 minutes
        now = start + step * 1800.0
        users.advance(now)
        for _ in range(rng.randint(0, 60)):
            user = f"user-{int(rng.paretovariate(0.6)) % 3000}"
            t = now - rng.uniform(0, 1200)
            partition = sum(user.encode()) % 6
            users.observe(user, t, partition)
            seen.setdefault(user, []).append(t)
        users.write_blocks()
        for partition in range(6):
            users.expire(partition)
        if step % 97 == 0 or step == 40 * 48 - 1:
            got, want = users.counts(now), _plain_counts(seen, now, BERLIN)
            for window in ("5m", "1h", "24h", "1d"):
                assert got[window] == want[window], (step, window)
            for window in ("7d", "28d"):
                assert abs(got[window] - want[window]) <= 0.01 * want[window] + 1, (step, window)
    before = users.counts(now)
    again = ActiveUsers(table, BERLIN)
    again.rebuild(set(range(6)), now)
    after = again.counts(now)
    assert {w: after[w] for w in ("5m", "1h", "24h", "1d")} == {
        w: before[w] for w in ("5m", "1h", "24h", "1d")}
    for window in ("7d", "28d"):
        assert abs(after[window] - before[window]) <= 0.01 * before[window] + 1
    assert before["28d"] > 1000
    # Pruned as it went: no block older than 25 h + an hour, no day older than 28 days.
    oldest_block = min(int(str(k).split(":")[2]) for k in table if str(k).startswith("b:"))
    assert oldest_block >= bucket(now) - 26 * 60
    days = {int(str(k).split(":")[2]) for k in table if str(k).startswith("d:")}
    today = datetime.fromtimestamp(now, BERLIN).toordinal()
    assert days and min(days) > today - 28


def test_the_per_user_records_of_earlier_versions_are_converted() -> None:
    now = at("2026-11-22T12:00")
    table: dict[str, object] = {"old-a": {"p": 2, "m": [bucket(now) - 3]},
                                "old-b": {"p": 4, "m": [bucket(now) - 90, bucket(now) - 30]}}
    users = ActiveUsers(table, BERLIN)
    users.rebuild({2, 4}, now)
    assert (users.counts(now)["5m"], users.counts(now)["1h"]) == (1, 2)
    assert not any(k.startswith("old") for k in table)  # rewritten as blocks
    again = ActiveUsers(table, BERLIN)
    again.rebuild({2, 4}, now)
    assert again.counts(now) == users.counts(now)


def test_seven_and_28_days_within_one_percent_at_a_hundred_thousand_users() -> None:
    users = ActiveUsers({}, UTC)
    now = at("2026-11-22T12:00", UTC)
    users.advance(now)
    for n in range(100_000):
        users.observe(f"U-{n}", now - (n % 20) * 86400.0 - 60, n % 6)
    counts = users.counts(now)
    want_7d = sum(1 for n in range(100_000) if n % 20 <= 6)
    assert abs(counts["7d"] - want_7d) <= 0.01 * want_7d
    assert abs(counts["28d"] - 100_000) <= 1000


def test_user_hashes_are_signed_64_bit_as_the_sketch_library_takes_them() -> None:
    # DataSketches' update(int) is a signed 64-bit overload; a larger Python int falls
    # through to update(float) and keeps 53 bits (2**63 + 5 and 2**63 + 6 collide).
    from cxpulse.core.active_users import user_hash
    from cxpulse.core.day_sketches import DaySketches

    hashes = [user_hash(f"U-{n}") for n in range(10_000)]
    assert all(-(2**63) <= h < 2**63 for h in hashes)
    assert min(hashes) < 0 < max(hashes)
    sketches = DaySketches(lambda partition, day: None)
    for h in (2**62 + 5, 2**62 + 6, -(2**63), 2**63 - 1):
        sketches.add(0, 100, h)
    assert sketches.count({0}, 100, 1) == 4
