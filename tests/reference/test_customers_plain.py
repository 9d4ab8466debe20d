"""Hand-worked cases for the customers reference (numbers worked out in the comments)."""

from __future__ import annotations

import itertools
from fractions import Fraction
from typing import Any

import pytest

from tests.reference.customers_plain import expected_customer_metrics
from tests.reference.families_plain import _key
from tests.reference.tickets_naive import parse_time

NOW = parse_time("2026-11-10T12:00:00Z")
# UTC windows at NOW: 1d from 2026-11-10T00:00Z, 7d from 2026-11-04T00:00Z,
# 30d from 2026-10-12T00:00Z; late cutoff 2026-10-11T00:00Z.

_ids = itertools.count()


def ev(type_: str, time: str, id_: str | None = None, **data: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": id_ or f"e{next(_ids)}", "source": "shop",
            "type": type_, "time": time, "data": data}


def start(sub: str, cust: str, time: str, mrr: float, **kw: Any) -> dict[str, Any]:
    return ev("subscription.started", time, subscription_id=sub, customer_id=cust, mrr=mrr,
              **kw)


def change(sub: str, cust: str, time: str, mrr: float) -> dict[str, Any]:
    return ev("subscription.changed", time, subscription_id=sub, customer_id=cust, mrr=mrr)


def cancel(sub: str, cust: str, time: str) -> dict[str, Any]:
    return ev("subscription.cancelled", time, subscription_id=sub, customer_id=cust)


def get(out: dict[Any, float], name: str, **labels: str) -> float | None:
    return out.get(_key(name, **labels))


def test_churn_and_return_inside_window_is_retained() -> None:
    events = [
        start("s1", "A", "2026-11-01T00:00:00Z", 10),
        cancel("s1", "A", "2026-11-05T00:00:00Z"),
        start("s2", "A", "2026-11-06T00:00:00Z", 20),
        cancel("s2", "A", "2026-11-11T00:00:00Z"),  # after now: ignored
        start("sB", "B", "2026-11-01T00:00:00Z", 30),
        cancel("sB", "B", "2026-11-07T00:00:00Z"),
    ]
    out = expected_customer_metrics(events, NOW)
    # Now: only A (s2, mrr 20).
    assert get(out, "cx_customers_active") == 1
    assert get(out, "cx_mrr") == 20
    # 7d: active at start {A, B}; active now {A}: A left and came back -> retained.
    assert get(out, "cx_customer_retention_ratio", window="7d") == 0.5
    assert get(out, "cx_customer_churn_ratio", window="7d") == 0.5
    # Subscriptions active at the 7d start: s1 (10 -> 0), sB (30 -> 0); s2 is not one.
    # gross = (40 - 40) / 40 = 0, net = (40 - 40) / 40 = 0.
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="gross") == 0
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="net") == 0
    # 1d: at start {A} (s2), now {A}.
    assert get(out, "cx_customer_retention_ratio", window="1d") == 1
    assert get(out, "cx_revenue_retention_ratio", window="1d", kind="net") == 1
    # 30d: nobody active on 2026-10-12 -> absent; hence no lifetime value.
    assert get(out, "cx_customer_retention_ratio", window="30d") is None
    assert get(out, "cx_viral_coefficient", window="30d") is None
    assert get(out, "cx_customer_lifetime_value") is None
    # First subscriptions ever: A and B on 11-01 -> 30d 2, 7d 0.
    assert get(out, "cx_customers_new", window="30d") == 2
    assert get(out, "cx_customers_new", window="7d") == 0


def test_join_and_leave_inside_window_is_in_neither() -> None:
    events = [
        start("sD", "D", "2026-11-01T00:00:00Z", 40),
        start("sC", "C", "2026-11-05T00:00:00Z", 25),
        cancel("sC", "C", "2026-11-06T00:00:00Z"),
    ]
    out = expected_customer_metrics(events, NOW)
    # 7d: at start {D}, now {D}; C joined and left inside: 1/1.
    assert get(out, "cx_customer_retention_ratio", window="7d") == 1
    assert get(out, "cx_customer_churn_ratio", window="7d") == 0
    # Revenue over sD only: 40 -> 40.
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="gross") == 1
    assert get(out, "cx_customers_new", window="7d") == 1  # C
    assert get(out, "cx_customers_new", window="30d") == 2  # C, D
    assert get(out, "cx_customers_active") == 1
    assert get(out, "cx_mrr") == 40


def test_changed_and_cancelled_before_started_wait_for_it() -> None:
    events = [
        change("s", "X", "2026-11-01T00:00:00Z", 50),  # waits, applies at 11-02 after 100
        start("s", "X", "2026-11-02T00:00:00Z", 100),
        change("s", "X", "2026-11-08T00:00:00Z", 80),
        cancel("t", "Y", "2026-11-01T00:00:00Z"),  # waits: t is never active
        start("t", "Y", "2026-11-02T00:00:00Z", 10),
    ]
    out = expected_customer_metrics(events, NOW)
    assert get(out, "cx_customers_active") == 1  # X only
    assert get(out, "cx_mrr") == 80
    # 7d start (11-04): s at 50 (the waiting change overrides the started 100).
    # d = 80 - 50 = +30: gross = (50 - 0) / 50 = 1, net = (50 + 30) / 50 = 1.6.
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="gross") == 1
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="net") == 1.6
    # t did start (at 11-02) though cancelled at once: Y is new, never active.
    assert get(out, "cx_customers_new", window="30d") == 2
    assert get(out, "cx_customer_retention_ratio", window="7d") == 1  # {X} / {X}


def test_two_subscriptions_one_cancelled() -> None:
    events = [
        start("s1", "E", "2026-11-01T00:00:00Z", 10),
        start("s2", "E", "2026-11-02T00:00:00Z", 15),
        cancel("s1", "E", "2026-11-08T00:00:00Z"),
        change("s1", "E", "2026-11-09T00:00:00Z", 99),  # after the cancel: no effect
    ]
    out = expected_customer_metrics(events, NOW)
    assert get(out, "cx_customers_active") == 1
    assert get(out, "cx_mrr") == 15
    # E stays active through s2: customer retention 1, churn 0.
    assert get(out, "cx_customer_retention_ratio", window="7d") == 1
    assert get(out, "cx_customer_churn_ratio", window="7d") == 0
    # Start Σ = 25; d1 = -10, d2 = 0: gross = 15/25 = 0.6, net = 15/25 = 0.6.
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="gross") == 0.6
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="net") == 0.6
    assert get(out, "cx_customers_new", window="30d") == 1


def test_lifetime_value_and_a_subscription_older_than_the_window() -> None:
    events = [
        start("sF", "F", "2026-10-11T06:00:00Z", 30),
        start("sG", "G", "2026-10-11T06:00:00Z", 10),
        cancel("sG", "G", "2026-10-20T00:00:00Z"),
        start("sH", "H", "2026-11-01T00:00:00Z", 50),
        start("sL", "L", "2026-08-10T23:59:00Z", 70),  # three months old, still active
    ]
    out = expected_customer_metrics(events, NOW, gross_margin=0.5)
    # Now: F (30), H (50), L (70) -> 3 customers, mrr 150.
    assert get(out, "cx_customers_active") == 3
    assert get(out, "cx_mrr") == 150
    # 30d start 10-12: {F, G, L}; now {F, H, L}: retention 2/3, churn 1/3.
    assert get(out, "cx_customer_churn_ratio", window="30d") == float(Fraction(1, 3))
    # LTV = (150 / 3) * 0.5 / (1/3) = 75.
    assert get(out, "cx_customer_lifetime_value") == 75
    # Revenue 30d: start 30 + 10 + 70 = 110, sG lost 10: gross = net = 100/110.
    assert get(out, "cx_revenue_retention_ratio", window="30d", kind="gross") == 100 / 110
    assert get(out, "cx_revenue_retention_ratio", window="30d", kind="net") == 100 / 110
    # New in 30d (from 10-12): only H; F and G started on 10-11, L in August.
    assert get(out, "cx_customers_new", window="30d") == 1


def test_zero_mrr_subscription_referrals_and_per_1000() -> None:
    events = [
        start("z", "Z", "2026-11-01T00:00:00Z", 0),
        ev("customer.signed_up", "2026-11-09T10:00:00Z", customer_id="N1", source="referral",
           referral_id="R1"),
        ev("customer.signed_up", "2026-11-09T11:00:00Z", customer_id="N2", source="paid",
           referral_id=None),
        ev("referral.sent", "2026-11-08T10:00:00Z", referral_id="R1", customer_id="Z"),
        ev("complaint.opened", "2026-11-09T12:00:00Z", complaint_id="K", customer_id="Z",
           channel="phone"),
    ]
    out = expected_customer_metrics(events, NOW)
    # A zero-mrr subscription is active.
    assert get(out, "cx_customers_active") == 1
    assert get(out, "cx_mrr") == 0
    assert get(out, "cx_customer_retention_ratio", window="7d") == 1
    # Σ start mrr is 0 -> revenue retention absent; churn 0 -> LTV absent.
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="gross") is None
    assert get(out, "cx_revenue_retention_ratio", window="7d", kind="net") is None
    assert get(out, "cx_customer_lifetime_value") is None
    # 7d: 2 signups (referral 1, paid 1), 1 referred (null referral_id is none), 1 sent.
    assert get(out, "cx_signups", window="7d", source="referral") == 1
    assert get(out, "cx_signups", window="7d", source="paid") == 1
    assert get(out, "cx_signups", window="1d", source="paid") == 0
    assert get(out, "cx_referred_signups", window="7d") == 1
    assert get(out, "cx_referrals_sent", window="7d") == 1
    # Viral 7d = 1 referred / 1 active at start (Z) = 1.
    assert get(out, "cx_viral_coefficient", window="7d") == 1
    # Per 1000: 7d 1000 * 1 / 1 = 1000; 1d none opened -> 0 (denominator is now's 1).
    assert get(out, "cx_complaints_per_1000_customers", window="7d") == 1000
    assert get(out, "cx_complaints_per_1000_customers", window="1d") == 0


def test_complaints_close_before_open_waits() -> None:
    events = [
        ev("complaint.closed", "2026-11-09T09:00:00Z", complaint_id="K1", customer_id="A"),
        ev("complaint.opened", "2026-11-09T10:00:00Z", complaint_id="K1", customer_id="A",
           channel="chat"),
        ev("complaint.opened", "2026-11-01T00:00:00Z", complaint_id="K2", customer_id="B",
           channel="fax"),  # -> other
        ev("complaint.closed", "2026-11-05T00:00:00Z", complaint_id="K2", customer_id="B",
           upheld=True),
        ev("complaint.closed", "2026-11-06T00:00:00Z", complaint_id="K2", customer_id="B"),
        ev("complaint.opened", "2026-11-10T01:00:00Z", complaint_id="K3", customer_id="C",
           channel="email"),
        ev("complaint.closed", "2026-11-10T13:00:00Z", complaint_id="K3", customer_id="C"),
        ev("complaint.closed", "2026-11-10T02:00:00Z", complaint_id="K9", customer_id="C"),
    ]
    out = expected_customer_metrics(events, NOW)
    # K1: close waits for the open: closed at 11-09T10:00, resolution 0, in 7d not 1d.
    chat7 = {"window": "7d", "channel": "chat"}
    assert get(out, "cx_complaint_resolution_seconds_count", **chat7) == 1
    assert get(out, "cx_complaint_resolution_seconds_sum", **chat7) == 0
    assert get(out, "cx_complaint_resolution_seconds", quantile="0.99", **chat7) == 0
    assert get(out, "cx_complaints_closed_within_ratio", within="3d", **chat7) == 1
    assert get(out, "cx_complaint_upheld_ratio", **chat7) == 0
    assert get(out, "cx_complaint_resolution_seconds_count", window="1d", channel="chat") == 0
    assert get(out, "cx_complaint_upheld_ratio", window="1d", channel="chat") is None
    # K2 (other): first close 11-05 wins, 4 days = 345600 s, upheld.
    other7 = {"window": "7d", "channel": "other"}
    assert get(out, "cx_complaint_resolution_seconds_sum", **other7) == 345600
    assert get(out, "cx_complaints_closed_within_ratio", within="3d", **other7) == 0
    assert get(out, "cx_complaints_closed_within_ratio", within="8w", **other7) == 1
    assert get(out, "cx_complaint_upheld_ratio", **other7) == 1
    assert get(out, "cx_complaints_opened", **other7) == 0  # opened 11-01, before 11-04
    assert get(out, "cx_complaints_opened", window="30d", channel="other") == 1
    # K3's close is after now; K9 has no open.
    assert get(out, "cx_complaints_open", channel="email") == 1
    assert get(out, "cx_complaints_open", channel="chat") == 0
    assert get(out, "cx_complaints_open", channel="other") == 0
    assert get(out, "cx_complaints_opened", window="1d", channel="email") == 1
    # No active customer now -> per-1000 absent.
    assert get(out, "cx_complaints_per_1000_customers", window="7d") is None


def test_duplicates_first_wins_and_source_mapping() -> None:
    events = [
        ev("customer.signed_up", "2026-11-10T01:00:00Z", id_="d1", customer_id="A",
           source="tiktok"),
        ev("customer.signed_up", "2026-11-10T01:00:00Z", id_="d1", customer_id="A",
           source="tiktok"),
        ev("customer.signed_up", "2026-11-10T02:00:00Z", id_="d1", customer_id="B",
           source="organic"),
        start("s", "A", "2026-11-02T00:00:00Z", 10, id_="d2"),
        start("s", "A", "2026-11-02T00:00:00Z", 99, id_="d2"),
    ]
    out = expected_customer_metrics(events, NOW)
    assert get(out, "cx_signups", window="1d", source="other") == 1
    assert get(out, "cx_signups", window="1d", source="organic") == 0
    assert get(out, "cx_mrr") == 10


def test_dst_change_inside_30d_berlin() -> None:
    # Berlin at NOW is CET (+1); 2026-10-25 went from CEST (+2) to CET.
    # 1d from 2026-11-09T23:00Z, 7d from 2026-11-03T23:00Z,
    # 30d from local 2026-10-12 00:00 CEST = 2026-10-11T22:00Z (a naive 29 * 86400 s
    # before today's midnight would give 23:00Z); cutoff 2026-10-10T22:00Z.
    events = [
        ev("customer.signed_up", "2026-10-11T22:30:00Z", customer_id="A", source="email"),
        ev("customer.signed_up", "2026-10-11T21:59:00Z", customer_id="B", source="email"),
        ev("customer.signed_up", "2026-11-09T23:30:00Z", customer_id="C", source="direct"),
        ev("customer.signed_up", "2026-11-03T22:59:00Z", customer_id="D", source="direct"),
        start("p", "P", "2026-10-11T22:00:00Z", 10),  # exactly at the 30d start
        cancel("p", "P", "2026-10-20T00:00:00Z"),
        start("q", "Q", "2026-10-10T21:00:00Z", 20),  # before the window, still active
    ]
    out = expected_customer_metrics(events, NOW, tz="Europe/Berlin")
    assert get(out, "cx_signups", window="30d", source="email") == 1  # A only
    assert get(out, "cx_signups", window="1d", source="direct") == 1  # C (UTC date 11-09)
    assert get(out, "cx_signups", window="7d", source="direct") == 1  # C; D is 1 min early
    assert get(out, "cx_signups", window="30d", source="direct") == 2
    # P is active at the 30d start (state includes events at that instant) and new in it.
    # Q (started before the window, still active) is retained: 30d start {P, Q}, now {Q}.
    assert get(out, "cx_customer_retention_ratio", window="30d") == 0.5
    assert get(out, "cx_customer_churn_ratio", window="30d") == 0.5
    assert get(out, "cx_customers_new", window="30d") == 1  # P
    assert get(out, "cx_customers_active") == 1
    assert get(out, "cx_customer_lifetime_value") == 40  # (20 / 1) * 1.0 / 0.5
    assert get(out, "cx_complaints_per_1000_customers", window="30d") == 0


def test_empty_exports_zero_counts_only() -> None:
    out = expected_customer_metrics([], NOW)
    # 2 gauges + 21 signups + 3 new + 3 referrals + 3 referred + 18 opened + 6 open
    # + 18 * 2 resolution _count/_sum = 92 series, plus the ratios' components:
    # 5 per window (15), closed and upheld per window and channel (36), closed within
    # 3d / 8w (36): 179 series, all 0.
    assert len(out) == 179
    assert set(out.values()) == {0}
    assert get(out, "cx_customer_retention_ratio", window="1d") is None


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "America/New_York"])
def test_future_events_ignored(tz: str) -> None:
    events = [start("s", "A", "2026-11-10T12:00:01Z", 10)]
    out = expected_customer_metrics(events, NOW, tz=tz)
    assert get(out, "cx_customers_active") == 0
    assert get(out, "cx_customers_new", window="1d") == 0
