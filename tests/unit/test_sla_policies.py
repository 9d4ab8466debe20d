"""Ticket SLA policies in-process (issue 17): the pipeline against the naive reference
on a scenario with schedules, pauses and next replies, and hand-worked cases."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from cxpulse.config import load_settings
from cxpulse.core.tickets import SlaTargets
from tests.reference.tickets_naive import expected_ticket_metrics
from tests.support import sla_scenario
from tests.support.pipeline import Pipeline
from tests.support.prom import TICKET_FAMILIES, mismatches, only
from tests.support.scenario import ev

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> SlaTargets:
    path = tmp_path_factory.mktemp("sla") / "cxpulse.toml"
    path.write_text(sla_scenario.POLICY_TOML)
    return load_settings({"CXPULSE_CONFIG": str(path)}).sla


def run(policy: SlaTargets, events: list[dict[str, Any]], partitions: int = 6) -> Pipeline:
    p = Pipeline(targets=policy, partitions=partitions)
    p.feed(orjson.dumps(e) for e in events)
    return p


def test_the_scenario_equals_the_reference(policy: SlaTargets) -> None:
    s = sla_scenario.build()
    p = run(policy, s.valid)
    now = s.watermark()
    assert p.admission.now() == now
    got = only(p.samples(), TICKET_FAMILIES)
    want = expected_ticket_metrics(s.valid, now, policy=sla_scenario.POLICY)
    problems = mismatches(got, want)
    assert not problems, "\n".join(problems[:30])
    # The scenario exercises what it is for: each new series has real values.
    for name in ("cx_sla_at_risk_tickets", "cx_tickets_paused", "cx_next_reply_seconds_count",
                 "cx_sla_next_breach_seconds"):
        assert sum(v for (n, _), v in want.items() if n == name) > 0, name
    breaches = {dict(k[1])["sla"]: 0.0 for k in want if k[0] == "cx_sla_breaches_total"}
    for (n, labels), v in want.items():
        if n == "cx_sla_breaches_total":
            breaches[dict(labels)["sla"]] += v
    assert all(v > 0 for v in breaches.values()), breaches


def test_any_arrival_order_gives_the_reference_numbers(policy: SlaTargets) -> None:
    """Statuses, replies and responses shuffled within each ticket: same numbers."""
    s = sla_scenario.build(hours=10, rate=20)
    rng = random.Random(5)
    shuffled = list(s.valid)
    rng.shuffle(shuffled)
    now = max(datetime.fromisoformat(e["time"]).timestamp() for e in shuffled)
    clock = ev("clock", "ticket.opened", now, ticket_id="CLOCK", customer_id="C",
               channel="web", priority="low")
    events = [*shuffled, clock]  # one partition: the watermark is the last event's time
    # The breach counter is left out: out of order, a deadline may fire before the event
    # that moves it arrives, and a counted breach is never undone (README).
    got = {k: v for k, v in only(run(policy, events, partitions=1).samples(),
                                 TICKET_FAMILIES).items() if k[0] != "cx_sla_breaches_total"}
    want = {k: v for k, v in expected_ticket_metrics(events, now, policy=sla_scenario.POLICY)
            .items() if k[0] != "cx_sla_breaches_total"}
    problems = mismatches(got, want)
    assert not problems, "\n".join(problems[:30])


def berlin(day: int, hh: int, mm: int = 0) -> float:
    return datetime(2026, 11, day, hh, mm, tzinfo=BERLIN).timestamp()


def labels(**kv: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kv.items()))


def test_friday_afternoon_ticket_is_due_monday_and_at_risk_only_then(
        policy: SlaTargets) -> None:
    """Normal (office Mon-Fri 08:00-18:00, Tue with lunch; 2026-11-23 a holiday): opened
    Friday 17:00 with a 2 h first-response target: 1 h Friday, Monday closed (holiday),
    Tuesday 08:00-09:00 -> due Tuesday 09:00."""
    opened = berlin(20, 17)
    due = berlin(24, 9)
    for now, at_risk_1h, next_breach in ((berlin(23, 20), 0, due - berlin(23, 20)),
                                         (berlin(24, 8, 30), 1, 1800.0)):
        events = [ev("o", "ticket.opened", opened, ticket_id="T", customer_id="C",
                     channel="email", priority="normal"),
                  ev("clock", "ticket.opened", now, ticket_id="CLOCK", customer_id="C",
                     channel="chat", priority="urgent")]
        got = run(policy, events, partitions=1).samples()
        key = labels(sla="first_response", channel="email", priority="normal")
        assert got[("cx_sla_next_breach_seconds", key)] == next_breach
        assert got[("cx_sla_at_risk_tickets", (*key[:2], ("sla", "first_response"),
                                               ("within", "1h")))] == at_risk_1h
    after = [ev("o", "ticket.opened", opened, ticket_id="T", customer_id="C",
                channel="email", priority="normal"),
             ev("clock", "ticket.opened", due + 1, ticket_id="CLOCK", customer_id="C",
                channel="chat", priority="urgent")]
    got = run(policy, after, partitions=1).samples()
    key = labels(sla="first_response", channel="email", priority="normal")
    assert got[("cx_tickets_in_breach", key)] == 1
    assert got[("cx_sla_breaches_total", key)] == 1


def test_a_customer_reply_run_answered_once_and_a_paused_next_reply(
        policy: SlaTargets) -> None:
    """Urgent (calendar, next reply 20 min). Replies at 10:00, 10:05, 10:10 form one
    run from 10:00; pending at 10:12 pauses it, the customer's reply at 10:30 resumes it
    (and joins the open run); answered 10:40: one 40 min sample. Counted time 10:00-10:12
    and 10:30-10:38 = 20 min -> due 10:38; answered 10:40: breached at 10:38."""
    t = berlin(24, 10)
    m = 60.0
    events = [
        ev("o", "ticket.opened", t - 30 * m, ticket_id="T", customer_id="C", channel="chat",
           priority="urgent"),
        ev("r", "ticket.responded", t - 25 * m, ticket_id="T", agent_id="A"),
        ev("c1", "ticket.customer_replied", t, ticket_id="T"),
        ev("c2", "ticket.customer_replied", t + 5 * m, ticket_id="T"),
        ev("c3", "ticket.customer_replied", t + 10 * m, ticket_id="T"),
        ev("p", "ticket.status_changed", t + 12 * m, ticket_id="T", status="pending"),
        ev("c4", "ticket.customer_replied", t + 30 * m, ticket_id="T"),
        ev("r2", "ticket.responded", t + 40 * m, ticket_id="T", agent_id="A"),
        ev("clock", "ticket.opened", t + 50 * m, ticket_id="CLOCK", customer_id="C",
           channel="web", priority="low"),
    ]
    got = run(policy, events, partitions=1).samples()
    w = (("channel", "chat"), ("priority", "urgent"), ("window", "1h"))
    assert got[("cx_next_reply_seconds_count", w)] == 1
    assert got[("cx_next_reply_seconds_sum", w)] == 40 * m
    sla = (("channel", "chat"), ("priority", "urgent"), ("sla", "next_reply"))
    assert got[("cx_sla_breaches_total", sla)] == 1
    assert got[("cx_sla_attainment_ratio", (*sla, ("window", "1h")))] == 0.0
    want = expected_ticket_metrics(events, t + 50 * m, policy=sla_scenario.POLICY)
    assert not mismatches(only(got, TICKET_FAMILIES), want)


def test_a_late_pause_moves_a_fired_deadline_but_never_undoes_the_counted_breach(
        policy: SlaTargets) -> None:
    """Urgent resolution 2 h (calendar): opened 08:00, due 10:00; the breach fires when
    now passes 10:00. Then a pause 09:00-09:30 arrives late: the deadline moves to
    10:30. At 10:01 the windowed breach is gone (history as finally known) but the
    counter keeps its 1; when 10:30 passes nothing is counted again."""
    t = berlin(24, 8)
    m = 60.0
    p = Pipeline(targets=policy, partitions=1)

    def feed(*events: dict[str, Any]) -> dict[Any, float]:
        p.feed(orjson.dumps(e) for e in events)
        return p.samples()

    sla = (("channel", "chat"), ("priority", "urgent"), ("sla", "resolution"))
    got = feed(ev("o", "ticket.opened", t, ticket_id="T", customer_id="C", channel="chat",
                  priority="urgent"),
               ev("r", "ticket.responded", t + 5 * m, ticket_id="T", agent_id="A"),
               ev("k1", "ticket.opened", t + 121 * m, ticket_id="K1", customer_id="C",
                  channel="web", priority="low"))
    assert got[("cx_sla_breaches_total", sla)] == 1
    assert got[("cx_tickets_in_breach", sla)] == 1
    got = feed(ev("p", "ticket.status_changed", t + 60 * m, ticket_id="T", status="pending"),
               ev("q", "ticket.status_changed", t + 90 * m, ticket_id="T", status="open"))
    assert got[("cx_tickets_in_breach", sla)] == 0
    assert got[("cx_sla_breaches_total", sla)] == 1
    assert got[("cx_sla_at_risk_tickets", (*sla, ("within", "15m")))] == 0
    assert got[("cx_sla_at_risk_tickets", (*sla, ("within", "1h")))] == 1
    assert got[("cx_sla_next_breach_seconds", sla)] == 29 * m  # 10:30 - 10:01
    got = feed(ev("k2", "ticket.opened", t + 151 * m, ticket_id="K2", customer_id="C",
                  channel="web", priority="low"))
    assert got[("cx_tickets_in_breach", sla)] == 1
    assert got[("cx_sla_breaches_total", sla)] == 1  # the same breach: counted once


def test_a_status_event_arriving_before_its_opening_pauses_from_the_opening(
        policy: SlaTargets) -> None:
    """Urgent (calendar, resolution 2 h). ``pending`` stamped 09:58 arrives first, the
    opening (10:00) after it: the ticket is paused from its opening, so its resolution
    has no deadline (never at risk) until the customer replies at 11:00; then 2 h of
    counted time are left: due 13:00."""
    t = berlin(24, 10)
    p = Pipeline(targets=policy, partitions=1)
    p.feed(orjson.dumps(e) for e in [
        ev("s", "ticket.status_changed", t - 120, ticket_id="T", status="pending"),
        ev("o", "ticket.opened", t, ticket_id="T", customer_id="C", channel="email",
           priority="urgent"),
        ev("r", "ticket.responded", t + 60, ticket_id="T", agent_id="A"),
        ev("k1", "ticket.opened", t + 1800, ticket_id="K1", customer_id="C", channel="web",
           priority="low")])
    got = p.samples()
    pair = (("channel", "email"), ("priority", "urgent"))
    res = (*pair, ("sla", "resolution"))
    assert got[("cx_tickets_paused", pair)] == 1
    assert ("cx_sla_next_breach_seconds", res) not in got
    assert got[("cx_sla_at_risk_tickets", (*res, ("within", "4h")))] == 0
    p.feed(orjson.dumps(e) for e in [
        ev("c", "ticket.customer_replied", t + 3600, ticket_id="T"),
        ev("k2", "ticket.opened", t + 3 * 3600 - 600, ticket_id="K2", customer_id="C",
           channel="web", priority="low")])
    got = p.samples()
    assert got[("cx_tickets_paused", pair)] == 0
    assert got[("cx_sla_next_breach_seconds", res)] == 600.0  # due 13:00, now 12:50
    assert got[("cx_sla_at_risk_tickets", (*res, ("within", "15m")))] == 1
    # The customer's reply after the first response opened a next-reply run (20 min):
    # due 11:20, unanswered, so in breach now.
    assert got[("cx_tickets_in_breach", (*pair, ("sla", "next_reply")))] == 1
