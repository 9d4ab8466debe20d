"""Hand-worked scenarios for the naive ticket reference.

Every expected number below was worked out by hand in the comments, not by running the
reference. Day 0 is 2026-11-22 (UTC). Windows at now with minute bucket N:
5m = buckets N-4..N, 1h = N-59..N, 24h = N-1439..N.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.reference.tickets_naive import MetricKey, expected_ticket_metrics

DAY0 = datetime(2026, 11, 22, tzinfo=UTC)

Event = dict[str, Any]


def ts(hh: int, mm: int, ss: int = 0, day: int = 0) -> float:
    return (DAY0 + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)).timestamp()


def rfc(hh: int, mm: int, ss: int = 0, day: int = 0) -> str:
    moment = DAY0 + timedelta(days=day, hours=hh, minutes=mm, seconds=ss)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ev(event_id: str, kind: str, time: str, **data: Any) -> Event:
    return {"specversion": "1.0", "id": event_id, "source": "helpdesk",
            "type": f"ticket.{kind}", "time": time, "data": data}  # fmt: skip


def opened(event_id: str, tid: str, time: str, channel: str, priority: str) -> Event:
    return ev(event_id, "opened", time, ticket_id=tid, customer_id="C-1", channel=channel,
              priority=priority)  # fmt: skip


def responded(event_id: str, tid: str, time: str, **extra: Any) -> Event:
    return ev(event_id, "responded", time, ticket_id=tid, agent_id="A-1", **extra)


def resolved(event_id: str, tid: str, time: str) -> Event:
    return ev(event_id, "resolved", time, ticket_id=tid, agent_id="A-1")


def reopened(event_id: str, tid: str, time: str) -> Event:
    return ev(event_id, "reopened", time, ticket_id=tid)


def k(name: str, **labels: str) -> MetricKey:
    return (name, tuple(sorted(labels.items())))


SLA_ENGINE_SERIES = frozenset({
    "cx_next_reply_seconds", "cx_next_reply_seconds_sum", "cx_next_reply_seconds_count",
    "cx_sla_at_risk_tickets", "cx_sla_next_breach_seconds", "cx_tickets_paused"})


def first_contract(got: dict[MetricKey, float]) -> dict[MetricKey, float]:
    """The series of the first contract (before the SLA engine's)."""
    return {key: v for key, v in got.items()
            if key[0] not in SLA_ENGINE_SERIES and ("sla", "next_reply") not in key[1]}


def assert_rest_zero_or_absent(got: dict[MetricKey, float], checked: set[MetricKey]) -> None:
    """Every sample not asserted explicitly is a count/sum of 0 (never a stray ratio)."""
    for key, value in got.items():
        if key in checked or key not in first_contract({key: value}):
            continue  # those have hand-worked cases of their own (test_tickets_sla_naive)
        name = key[0]
        assert name in {
            "cx_tickets_opened", "cx_tickets_resolved", "cx_tickets_open",
            "cx_tickets_in_breach", "cx_sla_breaches_total",
            "cx_first_response_seconds_sum", "cx_first_response_seconds_count",
            "cx_resolution_seconds_sum", "cx_resolution_seconds_count",
        }, key  # fmt: skip
        assert value == 0.0, key


def check(got: dict[MetricKey, float], expected: dict[MetricKey, float]) -> None:
    for key, value in expected.items():
        assert got.get(key) == pytest.approx(value), key
    assert_rest_zero_or_absent(got, set(expected))


# Series that always exist: opened 90 + resolved 90 + open 30 + in_breach 60
# + breaches_total 60 + (sum, count) x 2 summaries x 90 = 690.
ALWAYS = 690


def test_urgent_email_late_reply_then_first_contact_resolution() -> None:
    # Ticket opened 10:00 urgent email; public agent reply 10:20; resolved 11:00.
    # now = 11:00:30 -> N = 11:00; 5m = 10:56..11:00, 1h = 10:01..11:00.
    # D1 = 10:15: reply 10:20 is late; open at 10:15 and 10:15 < now -> FR breach @10:15.
    # D2 = 14:00: resolved 11:00 <= D2 -> resolution met @11:00.
    # opened 10:00: 5m no, 1h no (bucket 10:00 = N-60 is just outside), 24h yes.
    # FR sample 1200 s @10:20: in 1h, 24h. Resolution sample 3600 s @11:00: all windows.
    # FCR: one counted response <= 11:00, no reopen -> 1/1. Reopens 0/1.
    # FR attainment: 1h 0/(0+1) = 0, 24h 0; 5m has neither -> absent.
    # At now: resolved -> open 0, nothing in breach, no unanswered ticket.
    events = [
        opened("e1", "T-1", rfc(10, 0), "email", "urgent"),
        responded("e2", "T-1", rfc(10, 20)),
        resolved("e3", "T-1", rfc(11, 0)),
    ]
    got = expected_ticket_metrics(events, now=ts(11, 0, 30))
    lab = {"channel": "email", "priority": "urgent"}
    expected: dict[MetricKey, float] = {
        k("cx_tickets_opened", window="24h", **lab): 1,
        k("cx_sla_breaches_total", sla="first_response", **lab): 1,
        k("cx_sla_attainment_ratio", window="1h", sla="first_response", **lab): 0.0,
        k("cx_sla_attainment_ratio", window="24h", sla="first_response", **lab): 0.0,
    }
    for w in ("1h", "24h"):
        expected[k("cx_first_response_seconds_sum", window=w, **lab)] = 1200
        expected[k("cx_first_response_seconds_count", window=w, **lab)] = 1
        for q in ("0.5", "0.9", "0.99"):
            expected[k("cx_first_response_seconds", window=w, quantile=q, **lab)] = 1200
    for w in ("5m", "1h", "24h"):
        expected[k("cx_tickets_resolved", window=w, **lab)] = 1
        expected[k("cx_resolution_seconds_sum", window=w, **lab)] = 3600
        expected[k("cx_resolution_seconds_count", window=w, **lab)] = 1
        for q in ("0.5", "0.9", "0.99"):
            expected[k("cx_resolution_seconds", window=w, quantile=q, **lab)] = 3600
        expected[k("cx_sla_attainment_ratio", window=w, sla="resolution", **lab)] = 1.0
        expected[k("cx_first_contact_resolution_ratio", window=w, channel="email")] = 1.0
        expected[k("cx_reopen_ratio", window=w, channel="email")] = 0.0
    check(got, expected)
    # 690 + FR quantiles 2x3 + resolution quantiles 3x3 + attainment 2+3 + FCR 3 + reopen 3
    assert len(first_contract(got)) == ALWAYS + 6 + 9 + 5 + 3 + 3


def test_reopen_after_deadline_breaches_resolution_with_custom_targets() -> None:
    # High chat, resolution target overridden to 2 h: D1 = 11:00, D2 = 12:00.
    # 10:05 bot reply and 10:10 private reply do not count; 10:30 agent reply is the
    # first response (1800 s, met). 10:40 resolved: resolution #1 (2400 s), met, FCR.
    # 10:50 resolved again: ignored. 12:20 reopened: state at D2 is resolved, so the
    # resolution breach is this reopen @12:20. 12:25 reply (2nd counted).
    # 12:40 resolved: resolution #2 (9600 s from the original open), not FCR.
    events = [
        opened("b1", "T-2", rfc(10, 0), "chat", "high"),
        responded("b2", "T-2", rfc(10, 5), by="bot"),
        responded("b3", "T-2", rfc(10, 10), public=False),
        responded("b4", "T-2", rfc(10, 30)),
        resolved("b5", "T-2", rfc(10, 40)),
        resolved("b6", "T-2", rfc(10, 50)),
        reopened("b7", "T-2", rfc(12, 20)),
        responded("b8", "T-2", rfc(12, 25)),
        resolved("b9", "T-2", rfc(12, 40)),
    ]
    targets = {"high": 2 * 3600.0}
    lab = {"channel": "chat", "priority": "high"}

    # now = 12:41:10 -> N = 12:41; 5m = 12:37..12:41; 1h = 11:42..12:41.
    got = expected_ticket_metrics(events, now=ts(12, 41, 10), resolution_targets=targets)
    expected: dict[MetricKey, float] = {
        k("cx_tickets_opened", window="24h", **lab): 1,
        k("cx_tickets_resolved", window="5m", **lab): 1,
        k("cx_tickets_resolved", window="1h", **lab): 1,
        k("cx_tickets_resolved", window="24h", **lab): 2,
        k("cx_resolution_seconds_sum", window="5m", **lab): 9600,
        k("cx_resolution_seconds_count", window="5m", **lab): 1,
        k("cx_resolution_seconds_sum", window="1h", **lab): 9600,
        k("cx_resolution_seconds_count", window="1h", **lab): 1,
        k("cx_resolution_seconds_sum", window="24h", **lab): 12000,
        k("cx_resolution_seconds_count", window="24h", **lab): 2,
        # 24h samples [2400, 9600]: indices floor(q*1) = 0 for every q.
        k("cx_resolution_seconds", window="24h", quantile="0.5", **lab): 2400,
        k("cx_resolution_seconds", window="24h", quantile="0.9", **lab): 2400,
        k("cx_resolution_seconds", window="24h", quantile="0.99", **lab): 2400,
        k("cx_first_response_seconds_sum", window="24h", **lab): 1800,
        k("cx_first_response_seconds_count", window="24h", **lab): 1,
        # FCR: 5m 0/1, 1h 0/1, 24h 1/2. Reopens (@12:20): 5m 0/1, 1h 1/1, 24h 1/2.
        k("cx_first_contact_resolution_ratio", window="5m", channel="chat"): 0.0,
        k("cx_first_contact_resolution_ratio", window="1h", channel="chat"): 0.0,
        k("cx_first_contact_resolution_ratio", window="24h", channel="chat"): 0.5,
        k("cx_reopen_ratio", window="5m", channel="chat"): 0.0,
        k("cx_reopen_ratio", window="1h", channel="chat"): 1.0,
        k("cx_reopen_ratio", window="24h", channel="chat"): 0.5,
        # FR met @10:30 (24h only). Resolution: met @10:40, breached @12:20.
        k("cx_sla_attainment_ratio", window="24h", sla="first_response", **lab): 1.0,
        k("cx_sla_attainment_ratio", window="1h", sla="resolution", **lab): 0.0,
        k("cx_sla_attainment_ratio", window="24h", sla="resolution", **lab): 0.5,
        k("cx_sla_breaches_total", sla="resolution", **lab): 1,
    }
    for w in ("5m", "1h"):
        for q in ("0.5", "0.9", "0.99"):
            expected[k("cx_resolution_seconds", window=w, quantile=q, **lab)] = 9600
    for q in ("0.5", "0.9", "0.99"):
        expected[k("cx_first_response_seconds", window="24h", quantile=q, **lab)] = 1800
    check(got, expected)

    # now = 12:30:00: the 12:40 resolve is in the future (bucket 12:40 > N) -> ignored.
    # The ticket is open (reopened 12:20), past D2 (12:00) -> resolution in breach;
    # it was answered (10:30 <= now) -> not FR in breach, no unanswered age.
    got = expected_ticket_metrics(events, now=ts(12, 30), resolution_targets=targets)
    assert got[k("cx_tickets_open", **lab)] == 1
    assert got[k("cx_tickets_in_breach", sla="resolution", **lab)] == 1
    assert got[k("cx_tickets_in_breach", sla="first_response", **lab)] == 0
    assert got[k("cx_tickets_resolved", window="24h", **lab)] == 1
    assert got[k("cx_sla_breaches_total", sla="resolution", **lab)] == 1
    assert k("cx_oldest_unanswered_ticket_age_seconds", **lab) not in got

    # Order of delivery does not matter.
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    assert expected_ticket_metrics(shuffled, now=ts(12, 30), resolution_targets=targets) == got


def test_labels_dedupe_and_breach_exactly_at_deadline() -> None:
    # T-3: two opens at 10:00 ("c1" fax/p0, "c2" phone/low) -> smallest id c1 wins:
    # channel other, priority other -> normal targets, D1 = 14:00. A later "c0" open at
    # 10:01 loses on time. A second event with id "c1" (a resolve) is a duplicate: dropped.
    # T-3 never gets a response.
    # T-4: web normal, opened 10:00 (written as 11:00+01:00), resolved 13:59 (before
    # D1 = 14:00) with no response; the first reply comes at 14:00:30. At D1 the ticket
    # is resolved -> FR neither met nor breached. Resolution met @13:59, not FCR (0 replies).
    # T-5: events without any ticket.opened -> counts nowhere.
    events = [
        opened("c1", "T-3", rfc(10, 0), "fax", "p0"),
        opened("c2", "T-3", rfc(10, 0), "phone", "low"),
        opened("c0", "T-3", rfc(10, 1), "email", "urgent"),
        resolved("c1", "T-3", rfc(10, 30)),
        opened("d1", "T-4", "2026-11-22t11:00:00+01:00", "web", "normal"),
        resolved("d2", "T-4", "2026-11-22T13:59:00z"),
        responded("d3", "T-4", rfc(14, 0, 30)),
        responded("x1", "T-5", rfc(13, 0)),
        resolved("x2", "T-5", rfc(13, 1)),
    ]
    other = {"channel": "other", "priority": "other"}
    web = {"channel": "web", "priority": "normal"}

    # now = 14:00:00 exactly (= D1 of T-3): no breach yet (needs D1 < now), not in breach
    # (needs now > D1); oldest unanswered T-3 = 4 h. T-4's reply @14:00:30 is after now
    # but in bucket N = 14:00, so its 14430 s sample counts in every window.
    got = expected_ticket_metrics(events, now=ts(14, 0))
    expected: dict[MetricKey, float] = {
        k("cx_tickets_opened", window="24h", **other): 1,
        k("cx_tickets_opened", window="24h", **web): 1,
        k("cx_tickets_open", **other): 1,
        k("cx_oldest_unanswered_ticket_age_seconds", **other): 14400,
        k("cx_tickets_resolved", window="1h", **web): 1,
        k("cx_tickets_resolved", window="24h", **web): 1,
        k("cx_resolution_seconds_sum", window="1h", **web): 14340,
        k("cx_resolution_seconds_count", window="1h", **web): 1,
        k("cx_resolution_seconds_sum", window="24h", **web): 14340,
        k("cx_resolution_seconds_count", window="24h", **web): 1,
        k("cx_first_contact_resolution_ratio", window="1h", channel="web"): 0.0,
        k("cx_first_contact_resolution_ratio", window="24h", channel="web"): 0.0,
        k("cx_reopen_ratio", window="1h", channel="web"): 0.0,
        k("cx_reopen_ratio", window="24h", channel="web"): 0.0,
        k("cx_sla_attainment_ratio", window="1h", sla="resolution", **web): 1.0,
        k("cx_sla_attainment_ratio", window="24h", sla="resolution", **web): 1.0,
    }
    # 5m = 13:56..14:00 holds the 13:59 resolution as well.
    expected[k("cx_tickets_resolved", window="5m", **web)] = 1
    expected[k("cx_resolution_seconds_sum", window="5m", **web)] = 14340
    expected[k("cx_resolution_seconds_count", window="5m", **web)] = 1
    expected[k("cx_first_contact_resolution_ratio", window="5m", channel="web")] = 0.0
    expected[k("cx_reopen_ratio", window="5m", channel="web")] = 0.0
    expected[k("cx_sla_attainment_ratio", window="5m", sla="resolution", **web)] = 1.0
    for w in ("5m", "1h", "24h"):
        expected[k("cx_first_response_seconds_sum", window=w, **web)] = 14430
        expected[k("cx_first_response_seconds_count", window=w, **web)] = 1
        for q in ("0.5", "0.9", "0.99"):
            expected[k("cx_first_response_seconds", window=w, quantile=q, **web)] = 14430
            expected[k("cx_resolution_seconds", window=w, quantile=q, **web)] = 14340
    check(got, expected)
    assert k("cx_sla_attainment_ratio", window="5m", sla="first_response", **web) not in got

    # One second later: T-3's FR breach @14:00 (bucket N) counts: total 1, attainment
    # 0/1 in every window, in breach now, oldest unanswered 14401 s.
    got = expected_ticket_metrics(events, now=ts(14, 0, 1))
    assert got[k("cx_sla_breaches_total", sla="first_response", **other)] == 1
    assert got[k("cx_tickets_in_breach", sla="first_response", **other)] == 1
    assert got[k("cx_tickets_in_breach", sla="resolution", **other)] == 0
    assert got[k("cx_oldest_unanswered_ticket_age_seconds", **other)] == 14401
    for w in ("5m", "1h", "24h"):
        assert got[k("cx_sla_attainment_ratio", window=w, sla="first_response", **other)] == 0.0
    assert k("cx_sla_attainment_ratio", window="5m", sla="first_response", **web) not in got


def test_transitions_before_open_equal_times_and_quantile_indexing() -> None:
    # T-6 urgent social opened 10:00 (D1 10:15, D2 14:00). Transitions in order:
    # 09:58 resolved (before the open; resolution #1, sample max(0, -120) = 0, not FCR:
    # no reply <= 09:58); 10:05 resolved and 10:05 reopened at equal time -> resolve
    # first (ignored, already resolved), then the reopen counts. 10:10 reply: first
    # response 600 s, met. 10:20 resolved: resolution #2, 1200 s, not FCR (reopen before).
    # Resolution SLA met @09:58; resolved at D2 and no reopen after it -> no breach.
    # Eleven phone normal tickets opened 10:00 answered at 10:01..10:11 -> FR samples
    # 60..660 (n = 11): q0.5 = s[5] = 360, q0.9 = s[floor(9.0)] = 600,
    # q0.99 = s[floor(9.9)] = 600; sum 3960. They stay open and answered.
    events = [
        opened("f1", "T-6", rfc(10, 0), "social", "urgent"),
        resolved("f2", "T-6", rfc(9, 58)),
        reopened("f3", "T-6", rfc(10, 5)),
        resolved("f4", "T-6", rfc(10, 5)),
        responded("f5", "T-6", rfc(10, 10)),
        resolved("f6", "T-6", rfc(10, 20)),
    ]
    for i in range(1, 12):
        events.append(opened(f"p{i}o", f"P-{i}", rfc(10, 0), "phone", "normal"))
        events.append(responded(f"p{i}r", f"P-{i}", rfc(10, i)))

    # now = 10:21:00 -> 5m = 10:17..10:21, 1h = 09:22..10:21.
    got = expected_ticket_metrics(events, now=ts(10, 21))
    soc = {"channel": "social", "priority": "urgent"}
    ph = {"channel": "phone", "priority": "normal"}
    expected: dict[MetricKey, float] = {
        k("cx_tickets_resolved", window="5m", **soc): 1,
        k("cx_resolution_seconds_sum", window="5m", **soc): 1200,
        k("cx_resolution_seconds_count", window="5m", **soc): 1,
        k("cx_first_contact_resolution_ratio", window="5m", channel="social"): 0.0,
        k("cx_reopen_ratio", window="5m", channel="social"): 0.0,
        # met @09:58 is outside 5m and nothing breached -> no 5m resolution attainment.
        k("cx_tickets_open", **ph): 11,
    }
    for q in ("0.5", "0.9", "0.99"):
        expected[k("cx_resolution_seconds", window="5m", quantile=q, **soc)] = 1200
    for w in ("1h", "24h"):
        expected[k("cx_tickets_opened", window=w, **soc)] = 1
        expected[k("cx_tickets_resolved", window=w, **soc)] = 2
        expected[k("cx_resolution_seconds_sum", window=w, **soc)] = 1200
        expected[k("cx_resolution_seconds_count", window=w, **soc)] = 2
        # samples [0, 1200]: floor(q * 1) = 0 -> 0 for every q.
        for q in ("0.5", "0.9", "0.99"):
            expected[k("cx_resolution_seconds", window=w, quantile=q, **soc)] = 0
            expected[k("cx_first_response_seconds", window=w, quantile=q, **soc)] = 600
        expected[k("cx_first_response_seconds_sum", window=w, **soc)] = 600
        expected[k("cx_first_response_seconds_count", window=w, **soc)] = 1
        expected[k("cx_first_contact_resolution_ratio", window=w, channel="social")] = 0.0
        expected[k("cx_reopen_ratio", window=w, channel="social")] = 0.5
        expected[k("cx_sla_attainment_ratio", window=w, sla="first_response", **soc)] = 1.0
        expected[k("cx_sla_attainment_ratio", window=w, sla="resolution", **soc)] = 1.0
        # phone normal
        expected[k("cx_tickets_opened", window=w, **ph)] = 11
        expected[k("cx_first_response_seconds_sum", window=w, **ph)] = 3960
        expected[k("cx_first_response_seconds_count", window=w, **ph)] = 11
        expected[k("cx_first_response_seconds", window=w, quantile="0.5", **ph)] = 360
        expected[k("cx_first_response_seconds", window=w, quantile="0.9", **ph)] = 600
        expected[k("cx_first_response_seconds", window=w, quantile="0.99", **ph)] = 600
        expected[k("cx_sla_attainment_ratio", window=w, sla="first_response", **ph)] = 1.0
    check(got, expected)

    # now = 10:07: T-6 reopened at 10:05, unanswered -> open, age 420 s; D1 = 10:15 not
    # passed -> not in breach. Phone tickets answered by 10:07: 1..7; 8..11 unanswered
    # (their replies at 10:08.. are after now) -> oldest unanswered phone = 420 s.
    got = expected_ticket_metrics(events, now=ts(10, 7))
    assert got[k("cx_tickets_open", **soc)] == 1
    assert got[k("cx_oldest_unanswered_ticket_age_seconds", **soc)] == 420
    assert got[k("cx_tickets_in_breach", sla="first_response", **soc)] == 0
    assert got[k("cx_oldest_unanswered_ticket_age_seconds", **ph)] == 420
