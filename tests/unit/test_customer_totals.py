"""Customer totals stay bounded: bins a window can no longer reach leave them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cxpulse.core import customers as c

DAYS = c.LocalDays(ZoneInfo("Europe/Berlin"))
TODAY = DAYS.day(1_794_300_000.0)


def test_old_count_bins_are_dropped_and_old_steps_kept_in_the_base() -> None:
    totals = c.CustomerTotals(DAYS)
    old = [(c.SIGNUPS, "paid", TODAY - 100, 1), (c.ACTIVE, "", TODAY - 100, 1),
           (c.RESOLUTION, "chat", TODAY - 100, 60.0)]
    totals.replace("A", old)
    totals.fold(TODAY)
    assert all(d >= TODAY - c.FOLD_AFTER for bins in totals.by_day.values() for d in bins)
    assert totals.at_midnight(c.ACTIVE, TODAY - 29) == 1  # still active at the 30d start
    totals.replace("A", [])  # the customer's old contributions leave without a trace
    assert totals.at_midnight(c.ACTIVE, TODAY - 29) == 0
    assert all(v == 0 for bins in totals.by_day.values() for v in bins.values())
    assert totals.in_days(c.SIGNUPS, "paid", TODAY - 29, TODAY) == 0
