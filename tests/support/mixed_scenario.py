"""A recorded scenario of every family: simulated traffic plus the contract's edge cases.

Fed to the pure pipeline by the unit tests and published to the real broker by the
integration tests; both compare what is exported with the naive references.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka.partitioner import DefaultPartitioner

from cxpulse.schemas.contract import CONTRACTS
from cxpulse.schemas.events import parse_time
from cxpulse.simulate.mixed import MixedTraffic
from tests.support.scenario import END, PARTITIONS, ev

H = 3600.0


@dataclass
class MixedScenario:
    lines: list[bytes] = field(default_factory=list)
    valid: list[dict[str, Any]] = field(default_factory=list)
    """Each valid event once, late ones included."""
    late: list[dict[str, Any]] = field(default_factory=list)
    """Valid events that arrive older than now - 24h - 1m: counted as late only."""
    duplicates: dict[str, int] = field(default_factory=dict)
    """Topic -> redelivered lines."""
    rejected: dict[tuple[str, str], int] = field(default_factory=dict)
    """(topic, reason kind) -> events the worker must dead-letter."""

    @property
    def aggregated(self) -> list[dict[str, Any]]:
        late = {e["id"] for e in self.late}
        return [e for e in self.valid if e["id"] not in late]

    def topic_of(self, event: dict[str, Any]) -> str:
        return CONTRACTS[event["type"]].topic

    def partition_of(self, event: dict[str, Any]) -> int:
        key = event["data"][CONTRACTS[event["type"]].key_field].encode()
        return int(DefaultPartitioner()(key, list(range(PARTITIONS)), list(range(PARTITIONS))))

    def watermarks(self) -> dict[str, float]:
        """Per topic: min over partitions of the max event time (the replay "now")."""
        best: dict[str, dict[int, float]] = {}
        for event in self.valid:
            t = parse_time(event["time"])
            assert t is not None
            per_topic = best.setdefault(self.topic_of(event), {})
            p = self.partition_of(event)
            per_topic[p] = max(per_topic.get(p, t), t)
        return {topic: min(marks.values()) for topic, marks in best.items()}


def answered_contact(contact: str, customer: str, answered: float,
                     channel: str) -> list[dict[str, Any]]:
    """A contact queued 15 s before ``answered`` (events ``e-<contact>q/a``)."""
    return [ev(f"e-{contact}q", "contact.queued", answered - 15, contact_id=contact,
               customer_id=customer, channel=channel),
            ev(f"e-{contact}a", "contact.answered", answered, contact_id=contact,
               agent_id="A")]


def edge_cases(end: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(events placed by time, events appended at the end in this order)."""
    placed = [
        # Short abandon at 4.9 s (in no ratio), a counted one at exactly 5 s.
        ev("e-c1q", "contact.queued", end - 2 * H, contact_id="EC-1", customer_id="C",
           channel="phone"),
        ev("e-c1x", "contact.abandoned", end - 2 * H + 4.9, contact_id="EC-1"),
        ev("e-c2q", "contact.queued", end - 2 * H, contact_id="EC-2", customer_id="C",
           channel="phone"),
        ev("e-c2x", "contact.abandoned", end - 2 * H + 5, contact_id="EC-2"),
        # Answered at exactly the 20 s target; unknown channel -> other.
        ev("e-c3q", "contact.queued", end - 1.5 * H, contact_id="EC-3", customer_id="C",
           channel="carrier-pigeon"),
        ev("e-c3a", "contact.answered", end - 1.5 * H + 20, contact_id="EC-3", agent_id="A"),
        # Handle time 300 s; a second end of the same contact (another id) counts nowhere.
        ev("e-c3e", "contact.ended", end - 1.5 * H + 320, contact_id="EC-3", agent_id="A",
           talk_seconds=250.25, hold_seconds=0, acw_seconds=49.75),
        ev("e-c3e2", "contact.ended", end - 1.5 * H + 900, contact_id="EC-3", agent_id="A",
           talk_seconds=1, hold_seconds=1, acw_seconds=1),
        # An end whose contact was never queued: no channel, so no sample.
        ev("e-c9e", "contact.ended", end - H, contact_id="EC-9", agent_id="A",
           talk_seconds=60, hold_seconds=5, acw_seconds=5),
        # Still waiting for 40 minutes at the end.
        ev("e-c4q", "contact.queued", end - 40 * 60, contact_id="EC-4", customer_id="C",
           channel="chat"),
        # A bounce with an unknown source; a session with three pages.
        ev("e-s1s", "session.started", end - 3 * H, session_id="ES-1", user_id="EU-1",
           source="carrier-pigeon"),
        ev("e-s1p", "page.viewed", end - 3 * H + 1, session_id="ES-1", user_id="EU-1"),
        ev("e-s1e", "session.ended", end - 3 * H + 30, session_id="ES-1", user_id="EU-1"),
        ev("e-v1", "conversion", end - 2 * H, user_id="EU-1", source="paid", value=0.1),
        ev("e-v2", "conversion", end - 2 * H, user_id="EU-2", source="paid", value=0.2),
        ev("e-q1", "survey.answered", end - H, survey="nps", score=0, customer_id="EC",
           channel="fax"),
        ev("e-q2", "survey.answered", end - H, survey="ces", score=7, customer_id="EC",
           channel="email"),
        ev("e-k1", "cost.recorded", end - H, kind="ads", source="referral", amount=12.5),
        # Window edges (now = end, 20 s past a minute): the 5m window starts 260 s
        # before end, the 1h window 3560 s before.
        ev("e-w1", "survey.answered", end - 260, survey="csat", score=5, customer_id="W",
           channel="social"),
        ev("e-w2", "survey.answered", end - 260.001, survey="csat", score=1, customer_id="W",
           channel="social"),
        ev("e-w3", "conversion", end - 3560, user_id="W", source="referral", value=7),
        ev("e-w4", "conversion", end - 3560.5, user_id="W", source="referral", value=9),
        # Repeat contacts. RC calls three times (the third is answered before its
        # queued arrives, below); RD twice at the same instant (neither is "before");
        # RF's first answer is undone by an earlier abandon arriving later (below).
        *answered_contact("RC-1", "RC", end - 2.5 * H, "phone"),
        *answered_contact("RC-2", "RC", end - 2 * H, "chat"),
        *answered_contact("RD-1", "RD", end - H, "phone"),
        *answered_contact("RD-2", "RD", end - H, "phone"),
        *answered_contact("RF-1", "RF", end - 50 * 60, "email"),
        *answered_contact("RF-2", "RF", end - 20 * 60, "email"),
        # Agents. EA-1 handles a contact whose busy arrives last (appended below).
        ev("e-a1a", "agent.state_changed", end - 2 * H, agent_id="EA-1", state="available"),
        ev("e-a1w", "agent.state_changed", end - 2 * H + 900.5, agent_id="EA-1", state="acw"),
        ev("e-a1v", "agent.state_changed", end - 2 * H + 1000, agent_id="EA-1",
           state="available", channel="phone"),
        # EA-2's first event is busy; it is still in acw at the end.
        ev("e-a2b", "agent.state_changed", end - 30 * 60, agent_id="EA-2", state="busy"),
        ev("e-a2w", "agent.state_changed", end - 20 * 60, agent_id="EA-2", state="acw"),
        # EA-3 logs in and falls silent: offline 12 h later (1 h before the end).
        ev("e-a3a", "agent.state_changed", end - 13 * H, agent_id="EA-3", state="available"),
        # EA-4 is busy across the 1h and 5m window edges, then away.
        ev("e-a4b", "agent.state_changed", end - 70 * 60 - 30.5, agent_id="EA-4", state="busy"),
        ev("e-a4v", "agent.state_changed", end - 3 * 60 - 10.25, agent_id="EA-4",
           state="available"),
        ev("e-a4w", "agent.state_changed", end - 100, agent_id="EA-4", state="away"),
    ]
    # An answer and page views published before what they belong to: held, then counted.
    appended = [
        ev("e-c5e", "contact.ended", end - 1.2 * H + 400, contact_id="EC-5", agent_id="A",
           talk_seconds=300, hold_seconds=45.5, acw_seconds=23.5),
        ev("e-c5a", "contact.answered", end - 1.2 * H + 31, contact_id="EC-5", agent_id="A"),
        ev("e-c5q", "contact.queued", end - 1.2 * H, contact_id="EC-5", customer_id="C",
           channel="email"),
        ev("e-s2p", "page.viewed", end - 1.1 * H + 40, session_id="ES-2", user_id="EU-2"),
        ev("e-s2e", "session.ended", end - 1.1 * H + 90, session_id="ES-2", user_id="EU-2"),
        ev("e-s2s", "session.started", end - 1.1 * H, session_id="ES-2", user_id="EU-2",
           source="email"),
        ev("e-a1b", "agent.state_changed", end - 2 * H + 600, agent_id="EA-1", state="busy"),
        ev("e-rc3a", "contact.answered", end - 30 * 60, contact_id="RC-3", agent_id="A"),
        ev("e-rc3q", "contact.queued", end - 30 * 60 - 12, contact_id="RC-3",
           customer_id="RC", channel="phone"),
        ev("e-rf1x", "contact.abandoned", end - 50 * 60 - 1, contact_id="RF-1"),
    ]
    return placed, appended


def late_events(end: float) -> list[dict[str, Any]]:
    """One valid but late event per family: 50 h old, at the very end."""
    t = end - 50 * H
    return [
        ev("l-c", "contact.queued", t, contact_id="LC", customer_id="C", channel="chat"),
        ev("l-s", "session.started", t, session_id="LS", user_id="LU", source="paid"),
        ev("l-v", "conversion", t, user_id="LU", source="paid", value=5),
        ev("l-q", "survey.answered", t, survey="csat", score=5, customer_id="C",
           channel="chat"),
        ev("l-k", "cost.recorded", t, kind="service", source="direct", amount=99),
        ev("l-a", "agent.state_changed", t, agent_id="LA", state="busy"),
    ]


def bad_events(end: float) -> list[tuple[bytes, str, str]]:
    """(line, topic, reason kind) the worker must dead-letter."""
    return [
        (orjson.dumps(ev("b-a", "agent.state_changed", end - H, agent_id="A",
                         state="lunch")), "cx.agents", "invalid_field"),
        (orjson.dumps(ev("b-q", "survey.answered", end - H, survey="csat", score=6,
                         customer_id="C", channel="chat")), "cx.surveys", "out_of_range"),
        (orjson.dumps(ev("b-v", "conversion", end - H, user_id="U", source="paid",
                         value=-3)), "cx.conversions", "out_of_range"),
        (orjson.dumps(ev("b-c", "contact.queued", end - H, contact_id="C", customer_id="C")),
         "cx.contacts", "missing_field"),
        (orjson.dumps({**ev("b-s", "page.viewed", end - H, session_id="S", user_id="U"),
                       "time": "soon"}), "cx.sessions", "invalid_time"),
        (orjson.dumps(ev("b-k", "cost.recorded", end - H, kind="bribes", source="paid",
                         amount=1)), "cx.costs", "invalid_field"),
    ]


def key_for(partition: int, prefix: str) -> str:
    """A key that Kafka's default partitioner puts on ``partition``."""
    partitions = list(range(PARTITIONS))
    n = 0
    while True:
        key = f"{prefix}-{n}"
        if DefaultPartitioner()(key.encode(), partitions, partitions) == partition:
            return key
        n += 1


def closing_events(end: float) -> list[dict[str, Any]]:
    """One event at ``end`` on every partition of every topic, so that every worker's
    replay "now" ends at ``end`` whatever partitions it owns (as steady traffic would)."""
    out = []
    for p in range(PARTITIONS):
        out += [
            ev(f"z-t{p}", "ticket.opened", end, ticket_id=key_for(p, "ZT"), customer_id="C",
               channel="web", priority="low"),
            ev(f"z-c{p}", "contact.queued", end, contact_id=key_for(p, "ZC"),
               customer_id="C", channel="web"),
            ev(f"z-s{p}", "session.started", end, session_id=f"ZS-{p}",
               user_id=key_for(p, "ZU"), source="direct"),
            ev(f"z-v{p}", "conversion", end, user_id=key_for(p, "ZU"), source="direct",
               value=1),
            ev(f"z-q{p}", "survey.answered", end, survey="csat", score=3,
               customer_id=key_for(p, "ZQ"), channel="web"),
            ev(f"z-k{p}", "cost.recorded", end, kind="ads", source=key_for(p, "zk"),
               amount=1, clicks=1),
            ev(f"z-u{p}", "customer.signed_up", end, customer_id=key_for(p, "ZCU"),
               source="direct"),
            ev(f"z-a{p}", "agent.state_changed", end, agent_id=key_for(p, "ZA"), state="away"),
        ]
    return out


def build(seed: int = 11, hours: float = 3.0, rate: float = 150.0,
          end: float = END) -> MixedScenario:
    rng = random.Random(seed)
    placed, appended = edge_cases(end)
    events = MixedTraffic(seed=seed, tickets_per_hour=rate).history(end - hours * H, end)
    events = sorted(events + placed, key=lambda e: parse_time(e["time"]) or 0.0)
    s = MixedScenario(late=late_events(end))
    s.valid = [*events, *appended, *closing_events(end), *s.late]
    for event in s.valid:
        line = orjson.dumps(event)
        s.lines.append(line)
        if rng.random() < 0.01:  # a redelivery, shortly after the original
            s.lines.append(line)
            topic = s.topic_of(event)
            s.duplicates[topic] = s.duplicates.get(topic, 0) + 1
    for line, topic, reason in bad_events(end):
        s.lines.insert(rng.randrange(len(s.lines) - len(s.late)), line)
        s.rejected[(topic, reason)] = s.rejected.get((topic, reason), 0) + 1
    return s
