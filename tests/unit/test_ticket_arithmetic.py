"""The ticket arithmetic against a deliberately naive computation over the same events."""

from __future__ import annotations

import random
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpulse.core.dimensions import CHANNELS, PRIORITIES
from cxpulse.core.sorted_history import HIST
from cxpulse.core.tickets import OPENED, SlaTargets
from tests.reference.tickets_naive import expected_ticket_metrics
from tests.support import scenario
from tests.support.pipeline import Pipeline
from tests.support.prom import TICKET_FAMILIES, mismatches, only
from tests.support.scenario import END, ev

H = 3600.0
BREACHES = "cx_sla_breaches_total"


def ticket_samples(p: Pipeline) -> dict[Any, float]:
    return only(p.samples(), TICKET_FAMILIES)


def test_simulated_scenario_with_every_edge_case() -> None:
    s = scenario.build()
    p = Pipeline()
    p.feed(s.lines)
    now = s.watermark()
    assert p.admission.now() == now
    problems = mismatches(ticket_samples(p), expected_ticket_metrics(s.valid, now))
    assert not problems, "\n".join(problems[:30])
    assert p.stats.duplicate["cx.tickets"] == s.duplicates
    assert p.stats.late["cx.tickets"] == 1
    assert sum(p.stats.rejected.values()) == sum(s.rejected.values()) + len(s.unroutable_lines)


def test_empty_windows_export_counts_but_no_ratio_or_quantile() -> None:
    """Everything happened 3 h before now: the 5m and 1h windows are empty."""
    events = [
        ev("o", "ticket.opened", END - 3 * H, ticket_id="T", customer_id="C", channel="chat",
           priority="high"),
        ev("r", "ticket.responded", END - 3 * H + 60, ticket_id="T", agent_id="A"),
        ev("s", "ticket.resolved", END - 3 * H + 120, ticket_id="T", agent_id="A"),
        ev("clock", "ticket.opened", END, ticket_id="U", customer_id="C", channel="web",
           priority="low"),
    ]
    p = Pipeline(partitions=1)
    p.feed(orjson.dumps(e) for e in events)
    got = ticket_samples(p)
    assert not mismatches(got, expected_ticket_metrics(events, END))
    chat_high = (("channel", "chat"), ("priority", "high"))
    for window in ("5m", "1h"):
        labels = (*chat_high, ("window", window))
        assert got[("cx_tickets_resolved", labels)] == 0
        assert got[("cx_first_response_seconds_count", labels)] == 0
        assert not any(k[0] == "cx_first_response_seconds" and ("window", window) in k[1]
                       and ("channel", "chat") in k[1] for k in got)
        assert ("cx_first_contact_resolution_ratio",
                (("channel", "chat"), ("window", window))) not in got
    assert got[("cx_first_contact_resolution_ratio", (("channel", "chat"), ("window", "24h")))] == 1


def test_a_breach_fires_at_the_deadline_and_a_late_answer_never_undoes_the_counter() -> None:
    p = Pipeline(partitions=1)
    opened = END - 2 * H
    feed = [ev("o", "ticket.opened", opened, ticket_id="T", customer_id="C", channel="phone",
               priority="urgent")]
    p.feed(orjson.dumps(e) for e in feed)
    key = (BREACHES, (("channel", "phone"), ("priority", "urgent"), ("sla", "first_response")))
    assert p.samples()[key] == 0
    # Another ticket moves "now" past the 15 min deadline: the breach fires then.
    clock = ev("c", "ticket.opened", opened + 16 * 60, ticket_id="U", customer_id="C",
               channel="web", priority="low")
    p.feed([orjson.dumps(clock)])
    assert p.samples()[key] == 1
    in_breach = ("cx_tickets_in_breach", key[1])
    assert p.samples()[in_breach] == 1
    # A reply stamped *before* the deadline arrives late: event-time truth is "met"
    # (attainment says so), but the counter never goes down.
    late_reply = ev("r", "ticket.responded", opened + 10 * 60, ticket_id="T", agent_id="A")
    p.feed([orjson.dumps(late_reply)])
    got = p.samples()
    assert got[key] == 1
    assert got[in_breach] == 0
    attainment = ("cx_sla_attainment_ratio", (("channel", "phone"), ("priority", "urgent"),
                                              ("sla", "first_response"), ("window", "1h")))
    assert got[attainment] == 1.0


def test_rebuilding_from_the_tables_equals_an_uninterrupted_run() -> None:
    """A restarted worker's index, derived from recovered histories, is the same."""
    s = scenario.build(seed=11, hours=2)
    half = len(s.lines) // 2
    whole = Pipeline()
    whole.feed(s.lines)

    first = Pipeline()
    first.feed(s.lines[:half])
    restarted = Pipeline()
    restarted.seen.update(first.seen)
    # As a changelog gives them back: decoded, every string a copy of its own.
    restarted.histories.update(orjson.loads(orjson.dumps(first.histories)))
    restarted.team_samples.update(first.team_samples)
    restarted.family.rebuild(set(range(6)))
    restarted.team.rebuild()
    opened = [e for r in restarted.histories.values() for e in r[HIST] if e[1] == OPENED]
    assert len(opened) > 100
    assert all(e[1] is OPENED and e[3] is _shared(CHANNELS, e[3])
               and e[4] is _shared(PRIORITIES, e[4]) for e in opened)
    gauges = tuple(f for f in TICKET_FAMILIES if f != "cx_sla_breaches")
    assert not mismatches(only(restarted.samples(), gauges), only(first.samples(), gauges))
    restarted.feed(s.lines[half:])
    assert restarted.admission.now() == whole.admission.now()
    assert not mismatches(only(restarted.samples(), gauges), only(whole.samples(), gauges))


def _shared(labels: tuple[str, ...], value: str) -> str:
    return next(label for label in labels if label == value)


def test_retention_forgets_resolved_tickets_only() -> None:
    events = [
        ev("a", "ticket.opened", END - 60 * H, ticket_id="OLD", customer_id="C",
           channel="email", priority="low"),
        ev("b", "ticket.resolved", END - 59 * H, ticket_id="OLD", agent_id="A"),
        ev("c", "ticket.opened", END - 60 * H, ticket_id="STILL", customer_id="C",
           channel="email", priority="low"),
        ev("d", "ticket.opened", END, ticket_id="NEW", customer_id="C", channel="email",
           priority="low"),
    ]
    p = Pipeline(partitions=1, retention=30 * H)
    p.feed(orjson.dumps(e) for e in events)
    assert set(p.histories) == {"STILL", "NEW"}
    assert p.samples()[("cx_tickets_open", (("channel", "email"), ("priority", "low")))] == 2


def test_tickets_that_never_close_are_forgotten_after_max_open_age() -> None:
    def opened(eid: str, tid: str, t: float) -> dict[str, Any]:
        return ev(eid, "ticket.opened", t, ticket_id=tid, customer_id="C", channel="chat",
                  priority="high")

    p = Pipeline(partitions=1, retention=30 * H, max_open_age=100 * H)
    p.feed(orjson.dumps(e) for e in [
        opened("a", "QUIET", END - 200 * H),      # open, no news for 200 h: forgotten
        opened("b", "BUSY", END - 200 * H),       # open, but news 50 h ago: kept
        ev("c", "ticket.responded", END - 50 * H, ticket_id="BUSY", agent_id="A"),
        opened("d", "BACK", END - 200 * H),       # resolved then reopened: open again
        ev("e", "ticket.resolved", END - 199 * H, ticket_id="BACK", agent_id="A"),
        ev("f", "ticket.reopened", END - 120 * H, ticket_id="BACK"),
        opened("g", "DONE", END - 120 * H),       # resolved 110 h ago: past retention
        ev("h", "ticket.resolved", END - 110 * H, ticket_id="DONE", agent_id="A"),
        opened("i", "NOW", END),
    ])
    assert set(p.histories) == {"BUSY", "NOW"}
    assert p.samples()[("cx_tickets_open", (("channel", "chat"), ("priority", "high")))] == 2


# ---- shuffled arrival orders: every gauge equals the naive final-state computation


@st.composite
def ticket_lives(draw: st.DrawFn) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    n = draw(st.integers(1, 8))
    minute = st.integers(0, 30 * 60)  # within the last 30 hours
    for i in range(n):
        tid = f"T{i}"
        t0 = END - 30 * H + 60 * draw(minute) + draw(st.integers(0, 59))
        if draw(st.booleans()) or i == 0:
            events.append(ev(f"{tid}o", "ticket.opened", t0, ticket_id=tid, customer_id="C",
                             channel=draw(st.sampled_from(["email", "chat", "fax"])),
                             priority=draw(st.sampled_from(["urgent", "high", "low", "?"]))))
        for j in range(draw(st.integers(0, 5))):
            kind = draw(st.sampled_from(["responded", "resolved", "reopened", "bot", "private"]))
            t = t0 + draw(st.floats(-600, 40 * H))
            data: dict[str, Any] = {"ticket_id": tid}
            if kind in ("responded", "resolved", "bot", "private"):
                data["agent_id"] = "A"
            if kind == "bot":
                data["by"] = "bot"
            if kind == "private":
                data["public"] = False
            event_type = "ticket.responded" if kind in ("bot", "private") else f"ticket.{kind}"
            events.append(ev(f"{tid}-{j}", event_type, t, **data))
    return events


@settings(max_examples=80, deadline=None)
@given(ticket_lives(), st.randoms(use_true_random=False), st.integers(1, 3))
def test_any_arrival_order_gives_the_naive_numbers(events: list[dict[str, Any]],
                                                  rng: random.Random, partitions: int) -> None:
    clock = ev("clock", "ticket.opened", END + 11 * H, ticket_id="CLOCK", customer_id="C",
               channel="web", priority="low")
    shuffled = list(events)
    rng.shuffle(shuffled)
    p = Pipeline(partitions=partitions)
    p.feed(orjson.dumps(e) for e in [*shuffled, clock])
    now = p.admission.now()
    assert now is not None
    got = {k: v for k, v in ticket_samples(p).items() if k[0] != BREACHES}
    want = {k: v for k, v in expected_ticket_metrics([*events, clock], now).items()
            if k[0] != BREACHES}
    problems = mismatches(got, want)
    assert not problems, "\n".join(problems[:20])


def test_targets_from_settings_are_used() -> None:
    targets = SlaTargets(first_response={"urgent": 60.0, "high": 60.0, "normal": 60.0,
                                         "low": 60.0},
                         resolution={"urgent": 120.0, "high": 120.0, "normal": 120.0,
                                     "low": 120.0})
    events = [
        ev("o", "ticket.opened", END - H, ticket_id="T", customer_id="C", channel="chat",
           priority="low"),
        ev("r", "ticket.responded", END - H + 90, ticket_id="T", agent_id="A"),
        ev("c", "ticket.opened", END, ticket_id="U", customer_id="C", channel="web",
           priority="low"),
    ]
    p = Pipeline(targets=targets, partitions=1)
    p.feed(orjson.dumps(e) for e in events)
    want = expected_ticket_metrics(events, END, targets.first_response, targets.resolution)
    assert not mismatches(ticket_samples(p), want)
    key = (BREACHES, (("channel", "chat"), ("priority", "low"), ("sla", "first_response")))
    assert p.samples()[key] == 1


def test_live_clock_timer_fires_the_breach_without_any_event() -> None:
    """In live mode the 1 s timer moves "now": the breach fires at the deadline."""
    import time

    p = Pipeline(partitions=1)
    p.admission.replay_clock = False
    opened = time.time() - 15 * 60 + 5  # deadline in 5 s
    p.feed([orjson.dumps(ev("o", "ticket.opened", opened, ticket_id="T", customer_id="C",
                            channel="chat", priority="urgent"))])
    key = (BREACHES, (("channel", "chat"), ("priority", "urgent"), ("sla", "first_response")))
    assert p.samples()[key] == 0
    p.family.tick(opened + 15 * 60 + 0.001)
    assert p.samples()[key] == 1


# Hand-worked: 1 breaches first response at B+15m then resolves first-contact at B+30m;
# 2 waits unanswered for 1830 s; 3 is other/other, resolved without a counted reply
# and reopened: backlog 1, oldest unanswered 7230 s.
B = 1_795_320_000.0  # a minute boundary: 2026-11-22T00:40:00Z
NOW = B + 2 * 3600 + 30  # the 1h window covers buckets (B+60m, B+120m]


def k(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


HAND_EVENTS: list[dict[str, Any]] = [
    # 1: email/urgent. Bot reply at 10 s does not count; the agent answers at 20 min,
    # after the 15 min deadline (breach at B+15m); resolved at 30 min: first contact.
    ev("1o", "ticket.opened", B, ticket_id="1", customer_id="c", channel="email",
       priority="urgent"),
    ev("1b", "ticket.responded", B + 10, ticket_id="1", agent_id="bot", by="bot"),
    ev("1r", "ticket.responded", B + 1200, ticket_id="1", agent_id="a"),
    ev("1s", "ticket.resolved", B + 1800, ticket_id="1", agent_id="a"),
    ev("1s", "ticket.resolved", B + 1800, ticket_id="1", agent_id="a"),  # redelivery
    # 2: chat/high opened 30 min 30 s before now, never answered (deadline not reached).
    ev("2o", "ticket.opened", B + 5400, ticket_id="2", customer_id="c", channel="chat",
       priority="high"),
    # 3: fax/"p7" -> other/other (normal targets). Only a private reply; resolved at
    # 10 min (not first contact: no counted response), reopened at 20 min.
    ev("3o", "ticket.opened", B, ticket_id="3", customer_id="c", channel="fax",
       priority="p7"),
    ev("3p", "ticket.responded", B + 300, ticket_id="3", agent_id="a", public=False),
    ev("3s", "ticket.resolved", B + 600, ticket_id="3", agent_id="a"),
    ev("3O", "ticket.reopened", B + 1200, ticket_id="3"),
]


def test_the_hand_computed_scenario() -> None:
    clock = ev("clock", "ticket.opened", NOW, ticket_id="CLOCK", customer_id="C",
               channel="web", priority="low")
    p = Pipeline(partitions=1)
    p.feed(orjson.dumps(e) for e in [*HAND_EVENTS, clock])
    assert p.admission.now() == NOW
    got = ticket_samples(p)
    assert not mismatches(got, expected_ticket_metrics([*HAND_EVENTS, clock], NOW))
    assert p.stats.duplicate["cx.tickets"] == 1
    eu = (("channel", "email"), ("priority", "urgent"))
    assert got[("cx_first_response_seconds_sum", (*eu, ("window", "24h")))] == 1200
    assert got[(BREACHES, (*eu, ("sla", "first_response")))] == 1
    assert got[("cx_first_contact_resolution_ratio", (("channel", "email"),
                                                      ("window", "24h")))] == 1
    assert got[("cx_oldest_unanswered_ticket_age_seconds", (("channel", "chat"),
                                                            ("priority", "high")))] == 1830
    assert got[("cx_oldest_unanswered_ticket_age_seconds", (("channel", "other"),
                                                            ("priority", "other")))] == 7230
    assert got[("cx_reopen_ratio", (("channel", "other"), ("window", "24h")))] == 1
