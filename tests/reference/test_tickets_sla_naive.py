"""Hand-worked SLA-policy scenarios for the naive ticket reference.

Every expected number below was worked out by hand in the comments, not by running the
reference. A deadline is read through the gauges: at now = the clock's start, with the
target running and unanswered, cx_sla_next_breach_seconds = deadline - start.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from typing import Any

from tests.reference.tickets_naive import MetricKey, expected_ticket_metrics

Event = dict[str, Any]
EMAIL_NORMAL = {"channel": "email", "priority": "normal"}
WEEKDAYS_9_17 = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def ev(event_id: str, kind: str, time: str, tid: str, **data: Any) -> Event:
    return {"specversion": "1.0", "id": event_id, "source": "helpdesk",
            "type": f"ticket.{kind}", "time": time, "data": {"ticket_id": tid, **data}}  # fmt: skip


def opened(
    event_id: str, tid: str, time: str, channel: str = "email", priority: str = "normal"
) -> Event:
    return ev(event_id, "opened", time, tid, customer_id="C-1", channel=channel, priority=priority)


def responded(event_id: str, tid: str, time: str) -> Event:
    return ev(event_id, "responded", time, tid, agent_id="A-1")


def resolved(event_id: str, tid: str, time: str) -> Event:
    return ev(event_id, "resolved", time, tid, agent_id="A-1")


def reopened(event_id: str, tid: str, time: str) -> Event:
    return ev(event_id, "reopened", time, tid)


def status(event_id: str, tid: str, time: str, value: str) -> Event:
    return ev(event_id, "status_changed", time, tid, status=value)


def customer(event_id: str, tid: str, time: str) -> Event:
    return ev(event_id, "customer_replied", time, tid)


def k(name: str, **labels: str) -> MetricKey:
    return (name, tuple(sorted(labels.items())))


def scheduled(schedule: dict[str, Any], **targets: str) -> dict[str, Any]:
    """Policy: normal's targets (all three SLAs the same, kept short so the per-second
    walk stays cheap) count in ``schedule``."""
    return {
        "sla": {
            "first_response": targets,
            "resolution": targets,
            "next_reply": targets,
            "schedule": {"normal": "s"},
        },
        "schedules": {"s": schedule},
    }


def next_breach(events: list[Event], now: float, policy: dict[str, Any], sla: str) -> float:
    return expected_ticket_metrics(events, now, policy=policy)[
        k("cx_sla_next_breach_seconds", sla=sla, **EMAIL_NORMAL)
    ]


def test_no_policy_is_the_default_policy_and_old_series_do_not_move() -> None:
    events = [
        opened("a1", "T-1", "2026-11-22T10:00:00Z"),
        status("a2", "T-1", "2026-11-22T10:01:00Z", "pending"),
        customer("a3", "T-1", "2026-11-22T10:02:00Z"),
    ]
    now = at("2026-11-22T10:30:00Z")
    got = expected_ticket_metrics(events, now)
    assert got == expected_ticket_metrics(events, now, policy={})
    new = {"cx_next_reply_seconds_sum", "cx_next_reply_seconds_count", "cx_tickets_paused",
           "cx_sla_at_risk_tickets", "cx_sla_next_breach_seconds"}

    def old(metrics: dict[MetricKey, float]) -> dict[MetricKey, float]:
        return {key: v for key, v in metrics.items()
                if key[0] not in new and ("sla", "next_reply") not in key[1]}

    # A status and a customer reply before any response change no series of before.
    assert old(got) == old(expected_ticket_metrics(events[:1], now))
    # The new series, for every label set: 3 windows x 30 label sets x (sum, count)
    # next-reply + 30 paused + 30 x 3 x 3 at-risk + 30 NR breaches_total + 30 NR
    # in_breach = 180 + 30 + 270 + 60 = 540; plus the FR and resolution next-breach
    # gauges of this one running ticket (FR 4 h: 14400 - 1800).
    assert len(got) == len(old(got)) + 540 + 2
    assert got[k("cx_sla_next_breach_seconds", sla="first_response", **EMAIL_NORMAL)] == 12600
    # pending @10:01 then the customer reply @10:02 resumes: not paused now.
    assert got[k("cx_tickets_paused", **EMAIL_NORMAL)] == 0


def test_friday_afternoon_is_due_monday_and_closing_time_deadline() -> None:
    # SPEC's example, parsed from TOML. Fri 2026-11-20 16:00 CET + 2 h on Mon-Fri 09-17:
    # 1 h on Friday (16-17), weekend closed, 1 h on Monday (09-10) -> Mon 23 10:00 CET.
    policy = tomllib.loads(
        """
        [sla.first_response]
        normal = "2h"
        [sla.resolution]
        normal = "8h"
        [sla.schedule]
        normal = "office"
        [schedules.office]
        timezone = "Europe/Berlin"
        mon = ["09:00-17:00"]
        tue = ["09:00-17:00"]
        wed = ["09:00-17:00"]
        thu = ["09:00-17:00"]
        fri = ["09:00-17:00"]
        """
    )
    events = [opened("b1", "T-1", "2026-11-20T16:00:00+01:00")]
    # From Fri 15:00Z to Mon 09:00Z: 2 days 18 h = 237600 s.
    assert next_breach(events, at("2026-11-20T16:00:00+01:00"), policy, "first_response") == (
        237600
    )
    got = expected_ticket_metrics(events, at("2026-11-23T09:59:59+01:00"), policy=policy)
    assert got[k("cx_sla_next_breach_seconds", sla="first_response", **EMAIL_NORMAL)] == 1
    for within in ("15m", "1h", "4h"):
        lab = {"sla": "first_response", "within": within, **EMAIL_NORMAL}
        assert got[k("cx_sla_at_risk_tickets", **lab)] == 1
    assert got[k("cx_tickets_in_breach", sla="first_response", **EMAIL_NORMAL)] == 0
    # One second past 10:00: breached at 10:00 (bucket 09:00Z, in 5m of now 09:00:01Z).
    got = expected_ticket_metrics(events, at("2026-11-23T10:00:01+01:00"), policy=policy)
    assert got[k("cx_tickets_in_breach", sla="first_response", **EMAIL_NORMAL)] == 1
    assert got[k("cx_sla_breaches_total", sla="first_response", **EMAIL_NORMAL)] == 1
    lab5 = {"window": "5m", "sla": "first_response", **EMAIL_NORMAL}
    assert got[k("cx_sla_attainment_ratio", **lab5)] == 0.0
    assert k("cx_sla_next_breach_seconds", sla="first_response", **EMAIL_NORMAL) not in got

    # Mon 23 15:00 + 2 h = 17:00 exactly (closing time), not Tue 09:00. A reply at 17:00
    # is met (response <= deadline); without one, now = 17:00:00 is not yet in breach.
    events = [opened("c1", "T-2", "2026-11-23T15:00:00+01:00")]
    got = expected_ticket_metrics(events, at("2026-11-23T17:00:00+01:00"), policy=policy)
    assert got[k("cx_sla_next_breach_seconds", sla="first_response", **EMAIL_NORMAL)] == 0
    assert got[k("cx_tickets_in_breach", sla="first_response", **EMAIL_NORMAL)] == 0
    got = expected_ticket_metrics(
        [*events, responded("c2", "T-2", "2026-11-23T17:00:00+01:00")],
        at("2026-11-23T17:01:00+01:00"),
        policy=policy,
    )
    lab5 = {"window": "5m", "sla": "first_response", **EMAIL_NORMAL}
    assert got[k("cx_sla_attainment_ratio", **lab5)] == 1.0
    assert got[k("cx_sla_breaches_total", sla="first_response", **EMAIL_NORMAL)] == 0


def test_full_and_partial_holidays() -> None:
    office = {
        "timezone": "Europe/Berlin",
        **WEEKDAYS_9_17,
        "holidays": ["2026-12-24", "2026-12-25", "2027-01-01"],
        "partial_holidays": {"2026-12-31": ["09:00-12:00"]},
    }
    policy = scheduled(office, normal="2h")
    # Wed 23 Dec 16:00 CET: 1 h that day; Thu 24 + Fri 25 holidays, weekend closed;
    # Mon 28 09:00-10:00 -> deadline 28 Dec 09:00Z. From 23 Dec 15:00Z: 4 d 18 h = 410400.
    events = [opened("d1", "T-1", "2026-12-23T16:00:00+01:00")]
    assert next_breach(events, at("2026-12-23T16:00:00+01:00"), policy, "first_response") == (
        410400
    )
    # Thu 31 Dec (partial: 09-12) 11:00: 1 h; Fri 1 Jan holiday, weekend; Mon 4 Jan
    # 09:00-10:00 -> 4 Jan 09:00Z. From 31 Dec 10:00Z: 4 d - 1 h = 342000.
    events = [opened("d2", "T-2", "2026-12-31T11:00:00+01:00")]
    assert next_breach(events, at("2026-12-31T11:00:00+01:00"), policy, "first_response") == (
        342000
    )


def test_berlin_spring_forward_and_fall_back() -> None:
    # 29 Mar 2026: 02:00 CET -> 03:00 CEST. Daily 01:00-05:00: on the 29th that is
    # 00:00Z-03:00Z (3 real hours). Opened 01:00 CET (00:00Z), target 3h30m: 3 h that
    # night, then 30 min from Mon 30 01:00 CEST (29th 23:00Z) -> 23:30Z; 84600 s.
    night = {"timezone": "Europe/Berlin"} | {d: ["01:00-05:00"] for d in ("sun", "mon")}
    events = [opened("e1", "T-1", "2026-03-29T00:00:00Z")]
    start = at("2026-03-29T00:00:00Z")
    assert next_breach(events, start, scheduled(night, normal="3h30m"), "first_response") == 84600
    # Daily 02:30-04:00: on the 29th 02:30 does not exist and maps to 03:00 CEST (01:00Z),
    # so the night holds 01:00Z-02:00Z = 1 h. Target 90m: 1 h, then Mon 30 02:30 CEST
    # (00:30Z) + 30 min -> 30 Mar 01:00Z; 25 h = 90000 s.
    gap = {"timezone": "Europe/Berlin"} | {d: ["02:30-04:00"] for d in ("sun", "mon")}
    assert next_breach(events, start, scheduled(gap, normal="90m"), "first_response") == 90000
    # All-day schedule (00:00-24:00) over the spring night: every real second counts:
    # 2 h from 00:00Z -> 02:00Z (04:00 CEST), 7200 s.
    allday = {"timezone": "Europe/Berlin", "sat": ["00:00-24:00"], "sun": ["00:00-24:00"]}
    assert next_breach(events, start, scheduled(allday, normal="2h"), "first_response") == 7200

    # 25 Oct 2026: 03:00 CEST -> 02:00 CET. Overnight 22:00-06:00 from Sat 24: 22:00 CEST
    # = 20:00Z to 06:00 CET = 05:00Z, 9 real hours. Opened 20:00Z, target 9h30m: 9 h,
    # then Sun 25 22:00 CET (21:00Z) + 30 min -> 25 Oct 21:30Z; 25.5 h = 91800 s.
    overnight = {"timezone": "Europe/Berlin", "sat": ["22:00-06:00"], "sun": ["22:00-06:00"]}
    events = [opened("e2", "T-2", "2026-10-24T20:00:00Z")]
    start = at("2026-10-24T20:00:00Z")
    assert next_breach(events, start, scheduled(overnight, normal="9h30m"), "first_response") == (
        91800
    )
    # All-day Sunday 25 Oct has 25 real hours: opened Sat 24 23:00 CEST (21:00Z), target
    # 26 h -> 25 Oct 23:00Z; counted = every real second = 93600 s (a wall-clock model
    # would lose the repeated hour).
    allday = {"timezone": "Europe/Berlin"} | {d: ["00:00-24:00"] for d in ("sat", "sun", "mon")}
    events = [opened("e3", "T-3", "2026-10-24T21:00:00Z")]
    assert next_breach(
        events, at("2026-10-24T21:00:00Z"), scheduled(allday, normal="26h"), "first_response"
    ) == 93600


def test_new_york_spring_forward_overnight_and_fall_back_ambiguous() -> None:
    # 8 Mar 2026: 02:00 EST -> 03:00 EDT. Overnight 22:00-06:00 from Sat 7: 22:00 EST =
    # 8 Mar 03:00Z to 06:00 EDT = 10:00Z, 7 h. Opened 03:00Z, target 7h30m: 7 h, then
    # Sun 8 22:00 EDT (9 Mar 02:00Z) + 30 min -> 02:30Z; 23.5 h = 84600 s.
    ny = {"timezone": "America/New_York", "sat": ["22:00-06:00"], "sun": ["22:00-06:00"]}
    events = [opened("f1", "T-1", "2026-03-08T03:00:00Z")]
    assert next_breach(
        events, at("2026-03-08T03:00:00Z"), scheduled(ny, normal="7h30m"), "first_response"
    ) == 84600
    # 1 Nov 2026: 02:00 EDT -> 01:00 EST. Daily 01:30-02:00: 01:30 is ambiguous -> its
    # first occurrence 01:30 EDT (05:30Z); 02:00 exists once, EST (07:00Z): 90 min.
    # Opened 05:30Z, target 2 h: 1.5 h, then Mon 2 Nov 01:30 EST (06:30Z) + 30 min ->
    # 2 Nov 07:00Z; 1 d + 1.5 h = 91800 s.
    fall = {"timezone": "America/New_York", "sun": ["01:30-02:00"], "mon": ["01:30-02:00"]}
    events = [opened("f2", "T-2", "2026-11-01T05:30:00Z")]
    assert next_breach(
        events, at("2026-11-01T05:30:00Z"), scheduled(fall, normal="2h"), "first_response"
    ) == 91800


CAL_URGENT = {"sla": {"resolution": {"urgent": "1h"}, "next_reply": {"high": "30m"}}}
URGENT = {"channel": "email", "priority": "urgent"}


def test_pause_straddling_the_deadline() -> None:
    # Urgent email, calendar time, resolution 1 h. Opened 10:00, reply 10:05 (FR met,
    # D1 10:15). pending 10:40 .. open 11:10: the unpaused deadline 11:00 lies inside the
    # pause. Counted 40 min before, 20 min after 11:10 -> deadline 11:30. Resolved 11:35.
    events = [
        opened("g1", "T-1", "2026-11-22T10:00:00Z", "email", "urgent"),
        responded("g2", "T-1", "2026-11-22T10:05:00Z"),
        status("g3", "T-1", "2026-11-22T10:40:00Z", "pending"),
        status("g4", "T-1", "2026-11-22T11:10:00Z", "open"),
        resolved("g5", "T-1", "2026-11-22T11:35:00Z"),
    ]
    # now 10:50: paused -> paused 1, resolution not running (no at-risk, no next breach).
    got = expected_ticket_metrics(events, at("2026-11-22T10:50:00Z"), policy=CAL_URGENT)
    assert got[k("cx_tickets_paused", **URGENT)] == 1
    assert got[k("cx_sla_at_risk_tickets", sla="resolution", within="4h", **URGENT)] == 0
    assert k("cx_sla_next_breach_seconds", sla="resolution", **URGENT) not in got
    # now 11:05: past the calendar deadline, still paused: not in breach.
    got = expected_ticket_metrics(events, at("2026-11-22T11:05:00Z"), policy=CAL_URGENT)
    assert got[k("cx_tickets_in_breach", sla="resolution", **URGENT)] == 0
    # now 11:20: running again, 600 s left -> at risk in 15m/1h/4h, paused 0.
    got = expected_ticket_metrics(events, at("2026-11-22T11:20:00Z"), policy=CAL_URGENT)
    assert got[k("cx_tickets_paused", **URGENT)] == 0
    assert got[k("cx_sla_next_breach_seconds", sla="resolution", **URGENT)] == 600
    for within in ("15m", "1h", "4h"):
        assert got[k("cx_sla_at_risk_tickets", sla="resolution", within=within, **URGENT)] == 1
    # now 11:31: breached at 11:30 (open then), in breach; the 11:35 resolve is later.
    got = expected_ticket_metrics(events, at("2026-11-22T11:31:00Z"), policy=CAL_URGENT)
    assert got[k("cx_tickets_in_breach", sla="resolution", **URGENT)] == 1
    assert got[k("cx_sla_breaches_total", sla="resolution", **URGENT)] == 1
    # now 11:36: resolved; 1h (10:37..11:36): breach @11:30 only -> 0.0; still 1 breach.
    got = expected_ticket_metrics(events, at("2026-11-22T11:36:00Z"), policy=CAL_URGENT)
    assert got[k("cx_sla_attainment_ratio", window="1h", sla="resolution", **URGENT)] == 0.0
    assert got[k("cx_sla_breaches_total", sla="resolution", **URGENT)] == 1
    assert got[k("cx_tickets_in_breach", sla="resolution", **URGENT)] == 0


def test_reopen_after_resolve_resumes_and_runs_again() -> None:
    # Urgent, resolution 1 h calendar. Opened 10:00, reply 10:05, pending 10:20,
    # resolved 10:30 (met: 10:30 <= deadline), reopened 10:45 (resumes the pause).
    # Counted 10:00-10:20 = 20 min, 40 min more from 10:45 -> deadline 11:25.
    events = [
        opened("h1", "T-1", "2026-11-22T10:00:00Z", "email", "urgent"),
        responded("h2", "T-1", "2026-11-22T10:05:00Z"),
        status("h3", "T-1", "2026-11-22T10:20:00Z", "pending"),
        resolved("h4", "T-1", "2026-11-22T10:30:00Z"),
        reopened("h5", "T-1", "2026-11-22T10:45:00Z"),
    ]
    # now 10:50: open, not paused, running: 2100 s left -> at risk 1h and 4h, not 15m.
    got = expected_ticket_metrics(events, at("2026-11-22T10:50:00Z"), policy=CAL_URGENT)
    assert got[k("cx_sla_next_breach_seconds", sla="resolution", **URGENT)] == 2100
    assert got[k("cx_sla_at_risk_tickets", sla="resolution", within="15m", **URGENT)] == 0
    assert got[k("cx_sla_at_risk_tickets", sla="resolution", within="1h", **URGENT)] == 1
    assert got[k("cx_sla_at_risk_tickets", sla="resolution", within="4h", **URGENT)] == 1
    assert got[k("cx_tickets_paused", **URGENT)] == 0
    # now 11:26: breached at 11:25 (open then). 5m (11:22..11:26): breach only -> 0.0;
    # 1h (10:27..11:26): met @10:30 + breach -> 0.5.
    got = expected_ticket_metrics(events, at("2026-11-22T11:26:00Z"), policy=CAL_URGENT)
    assert got[k("cx_tickets_in_breach", sla="resolution", **URGENT)] == 1
    assert got[k("cx_sla_breaches_total", sla="resolution", **URGENT)] == 1
    assert got[k("cx_sla_attainment_ratio", window="5m", sla="resolution", **URGENT)] == 0.0
    assert got[k("cx_sla_attainment_ratio", window="1h", sla="resolution", **URGENT)] == 0.5
    assert k("cx_sla_next_breach_seconds", sla="resolution", **URGENT) not in got


def test_customer_reply_run_answered_once_then_breached_run() -> None:
    # T-A high chat, next reply 30 min calendar. 10:01 customer reply before any response
    # starts nothing. 10:02 reply (FR). Run 10:10 (+10:15, 10:20 join), answered 10:25:
    # sample 900 s, met (deadline 10:40). Run 10:30, deadline 11:00, never answered.
    # T-B high chat: reply 10:01, customer 10:03, resolved 10:10: the run ends with no
    # sample and no met/breach.
    events = [
        opened("i1", "T-A", "2026-11-22T10:00:00Z", "chat", "high"),
        customer("i2", "T-A", "2026-11-22T10:01:00Z"),
        responded("i3", "T-A", "2026-11-22T10:02:00Z"),
        customer("i4", "T-A", "2026-11-22T10:10:00Z"),
        customer("i5", "T-A", "2026-11-22T10:15:00Z"),
        customer("i6", "T-A", "2026-11-22T10:20:00Z"),
        responded("i7", "T-A", "2026-11-22T10:25:00Z"),
        customer("i8", "T-A", "2026-11-22T10:30:00Z"),
        opened("j1", "T-B", "2026-11-22T10:00:00Z", "chat", "high"),
        responded("j2", "T-B", "2026-11-22T10:01:00Z"),
        customer("j3", "T-B", "2026-11-22T10:03:00Z"),
        resolved("j4", "T-B", "2026-11-22T10:10:00Z"),
    ]
    lab = {"channel": "chat", "priority": "high"}
    # now 10:50: T-A's run open, 600 s left -> at risk everywhere, not in breach.
    got = expected_ticket_metrics(events, at("2026-11-22T10:50:00Z"), policy=CAL_URGENT)
    assert got[k("cx_sla_next_breach_seconds", sla="next_reply", **lab)] == 600
    for within in ("15m", "1h", "4h"):
        assert got[k("cx_sla_at_risk_tickets", sla="next_reply", within=within, **lab)] == 1
    assert got[k("cx_tickets_in_breach", sla="next_reply", **lab)] == 0
    # now 11:05: breached @11:00. 1h (10:06..11:05): met @10:25 + breach -> 0.5, one
    # sample 900; 5m (11:01..11:05): neither -> no ratio, next-reply count 0.
    got = expected_ticket_metrics(events, at("2026-11-22T11:05:00Z"), policy=CAL_URGENT)
    assert got[k("cx_tickets_in_breach", sla="next_reply", **lab)] == 1
    assert got[k("cx_sla_breaches_total", sla="next_reply", **lab)] == 1
    assert got[k("cx_sla_attainment_ratio", window="1h", sla="next_reply", **lab)] == 0.5
    assert k("cx_sla_attainment_ratio", window="5m", sla="next_reply", **lab) not in got
    assert got[k("cx_next_reply_seconds_sum", window="1h", **lab)] == 900
    assert got[k("cx_next_reply_seconds_count", window="1h", **lab)] == 1
    for q in ("0.5", "0.9", "0.99"):
        assert got[k("cx_next_reply_seconds", window="1h", quantile=q, **lab)] == 900
    assert got[k("cx_next_reply_seconds_count", window="5m", **lab)] == 0
    assert k("cx_sla_next_breach_seconds", sla="next_reply", **lab) not in got


def test_status_before_opening_pauses_resolution_not_first_response() -> None:
    # Urgent email: pending @09:50 (before the 10:00 open), open @10:20. FR (15 min,
    # never pauses) -> 10:15. Resolution 1 h counts from 10:20 -> 11:20. Reply @10:12.
    events = [
        status("m1", "T-1", "2026-11-22T09:50:00Z", "pending"),
        opened("m2", "T-1", "2026-11-22T10:00:00Z", "email", "urgent"),
        responded("m3", "T-1", "2026-11-22T10:12:00Z"),
        status("m4", "T-1", "2026-11-22T10:20:00Z", "open"),
    ]
    # now 10:10: paused (pending 09:50) -> paused 1; FR running, 300 s left.
    got = expected_ticket_metrics(events, at("2026-11-22T10:10:00Z"), policy=CAL_URGENT)
    assert got[k("cx_tickets_paused", **URGENT)] == 1
    assert got[k("cx_sla_next_breach_seconds", sla="first_response", **URGENT)] == 300
    assert k("cx_sla_next_breach_seconds", sla="resolution", **URGENT) not in got
    # now 11:10: FR met; resolution running, 600 s left.
    got = expected_ticket_metrics(events, at("2026-11-22T11:10:00Z"), policy=CAL_URGENT)
    assert got[k("cx_sla_next_breach_seconds", sla="resolution", **URGENT)] == 600
    assert k("cx_sla_next_breach_seconds", sla="first_response", **URGENT) not in got
    assert got[k("cx_tickets_paused", **URGENT)] == 0


def test_at_risk_and_next_breach_counts_with_paused_gauge() -> None:
    # Low email, calendar: FR 1 h, resolution 5 h. now = 10:40.
    #   L-1 opened 10:30: FR 11:30 (3000 s), res 15:30 (17400 s)
    #   L-2 opened 10:00, pending 10:10: FR 11:00 (1200 s); resolution paused
    #   L-3 opened 09:50: FR 10:50 (600 s), res 14:50 (15000 s)
    #   L-4 opened 08:00: FR 09:00 passed (in breach, not at risk), res 13:00 (8400 s)
    # FR at risk: 15m {L-3} = 1; 1h {L-1, L-2, L-3} = 3; 4h 3; next 600.
    # Resolution at risk: 15m 0, 1h 0, 4h {L-4} = 1; next 8400. Paused 1.
    # Next reply: nothing runs -> 0 everywhere, no next breach.
    policy = {"sla": {"first_response": {"low": "1h"}, "resolution": {"low": "5h"}}}
    events = [
        opened("n1", "L-1", "2026-11-22T10:30:00Z", "email", "low"),
        opened("n2", "L-2", "2026-11-22T10:00:00Z", "email", "low"),
        status("n3", "L-2", "2026-11-22T10:10:00Z", "on_hold"),
        opened("n4", "L-3", "2026-11-22T09:50:00Z", "email", "low"),
        opened("n5", "L-4", "2026-11-22T08:00:00Z", "email", "low"),
    ]
    lab = {"channel": "email", "priority": "low"}
    got = expected_ticket_metrics(events, at("2026-11-22T10:40:00Z"), policy=policy)
    expected = {
        ("first_response", "15m"): 1, ("first_response", "1h"): 3, ("first_response", "4h"): 3,
        ("resolution", "15m"): 0, ("resolution", "1h"): 0, ("resolution", "4h"): 1,
        ("next_reply", "15m"): 0, ("next_reply", "1h"): 0, ("next_reply", "4h"): 0,
    }  # fmt: skip
    for (sla, within), count in expected.items():
        assert got[k("cx_sla_at_risk_tickets", sla=sla, within=within, **lab)] == count
    assert got[k("cx_sla_next_breach_seconds", sla="first_response", **lab)] == 600
    assert got[k("cx_sla_next_breach_seconds", sla="resolution", **lab)] == 8400
    assert k("cx_sla_next_breach_seconds", sla="next_reply", **lab) not in got
    assert got[k("cx_tickets_paused", **lab)] == 1
    assert got[k("cx_tickets_open", **lab)] == 4
    assert got[k("cx_tickets_in_breach", sla="first_response", **lab)] == 1
    # A custom pause set: only "pending" pauses -> L-2's on_hold does not.
    custom = {**policy, "sla": {**policy["sla"], "pause": {"statuses": ["pending"]}}}
    got = expected_ticket_metrics(events, at("2026-11-22T10:40:00Z"), policy=custom)
    assert got[k("cx_tickets_paused", **lab)] == 0
    # L-2 resolution 15:00 (15600 s) runs now but is outside 4h (14400 s).
    assert got[k("cx_sla_at_risk_tickets", sla="resolution", within="4h", **lab)] == 1
