"""A recorded 40-day ``cx.customers`` scenario: simulated customers plus the edge cases.

Lines are in arrival order. Edge cases: a change and a cancel that arrive before
their ``started``; a customer who cancels and starts a new subscription in the
window; a zero-mrr subscription; a customer with two subscriptions of which one is
cancelled; a complaint whose close arrives before its open; redeliveries; events
older than 30 days arriving at the end (late: counted nowhere); and, in
Europe/Berlin, the end of daylight saving time inside the 30 days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import orjson

from cxpulse.simulate.mixed import MixedTraffic
from tests.reference.tickets_naive import parse_time
from tests.support.mixed_scenario import PARTITIONS, key_for
from tests.support.scenario import ev

DAY = 86400.0
END = parse_time("2026-11-10T09:30:00Z")
"""30 days back from here crosses 2026-10-25, when Europe/Berlin left summer time."""


@dataclass
class CustomerScenario:
    lines: list[bytes] = field(default_factory=list)
    valid: list[dict[str, Any]] = field(default_factory=list)
    """Every event the reference sees (not late), duplicates once."""
    late: list[dict[str, Any]] = field(default_factory=list)


def _sub(kind: str, at: float, sub: str, customer: str, **extra: Any) -> dict[str, Any]:
    return ev(f"{kind[13:]}-{sub}-{at:.0f}", kind, at, subscription_id=sub,
              customer_id=customer, **extra)


def edge_cases() -> list[tuple[float, dict[str, Any]]]:
    """(arrival time, event): each event arrives at the given instant of the replay."""
    d = END - 20 * DAY
    started = _sub("subscription.started", d, "E1", "CE1", mrr=40)
    out = [
        # A change and a cancel sent before their started, which arrives a day late.
        (d - 3600, _sub("subscription.changed", d - 7200, "E1", "CE1", mrr=60)),
        (d + DAY, started),
        (d + 2 * DAY, _sub("subscription.cancelled", d + 2 * DAY, "E1", "CE1")),
        (d - 600, _sub("subscription.cancelled", d - 900, "E2", "CE2")),
        (d, _sub("subscription.started", d, "E2", "CE2", mrr=25)),  # never active
        # Churns and comes back inside the 7 days: retained there.
        (END - 40 * DAY + 10, _sub("subscription.started", END - 40 * DAY + 10, "E3a", "CE3",
                                    mrr=30)),
        (END - 5 * DAY, _sub("subscription.cancelled", END - 5 * DAY, "E3a", "CE3")),
        (END - 3 * DAY, _sub("subscription.started", END - 3 * DAY, "E3b", "CE3", mrr=35)),
        # A free plan, active for months.
        (END - 39 * DAY, _sub("subscription.started", END - 39 * DAY, "E4", "CE4", mrr=0)),
        # Two subscriptions, one cancelled; the other one contracts.
        (END - 38 * DAY, _sub("subscription.started", END - 38 * DAY, "E5a", "CE5", mrr=50)),
        (END - 38 * DAY, _sub("subscription.started", END - 38 * DAY, "E5b", "CE5", mrr=20)),
        (END - 2 * DAY, _sub("subscription.cancelled", END - 2 * DAY, "E5a", "CE5")),
        (END - DAY, _sub("subscription.changed", END - DAY, "E5b", "CE5", mrr=10)),
        # Joins and leaves inside the 7 days: in neither.
        (END - 4 * DAY, _sub("subscription.started", END - 4 * DAY, "E7", "CE7", mrr=80)),
        (END - 2 * DAY, _sub("subscription.cancelled", END - 2 * DAY, "E7", "CE7")),
        # A complaint whose close arrives first; one closed after 9 weeks, upheld.
        (END - 6 * DAY, ev("k-close-E6", "complaint.closed", END - 6 * DAY,
                           complaint_id="K6", customer_id="CE6", upheld=True)),
        (END - 5 * DAY, ev("k-open-E6", "complaint.opened", END - 8 * DAY, complaint_id="K6",
                           customer_id="CE6", channel="chat")),
        (END - 65 * DAY, ev("k-open-E8", "complaint.opened", END - 65 * DAY,
                            complaint_id="K8", customer_id="CE8", channel="phone")),
        (END - 2 * DAY, ev("k-close-E8", "complaint.closed", END - 2 * DAY,
                           complaint_id="K8", customer_id="CE8", upheld=True)),
        # Local midnight in Berlin, and a second after it.
        (END - 9 * DAY, ev("u-midnight", "customer.signed_up",
                           parse_time("2026-11-01T23:00:00Z"), customer_id="CE9",
                           source="email", referral_id="R-x")),
        (END - 9 * DAY, _sub("subscription.started", parse_time("2026-11-01T23:00:00Z"),
                             "E9", "CE9", mrr=15)),
    ]
    return out


def opening() -> list[dict[str, Any]]:
    """A signup at the scenario's first instant on every partition, in no window.

    For workers that read while the scenario is published: in replay mode "now" is the
    least latest time of the partitions *that have delivered events* (SPEC §2), so a
    partition whose first record lands after the others' later days would find its
    oldest event (the complaint opened 65 days back) late. Read first, these hold every
    partition's "now" back until its own events arrive.
    """
    return [ev(f"a-u{p}", "customer.signed_up", END - 65 * DAY, customer_id=key_for(p, "ACU"),
               source="direct") for p in range(PARTITIONS)]


def closing() -> list[dict[str, Any]]:
    """A signup at END on every partition, so "now" ends there on every worker."""
    return [ev(f"z-u{p}", "customer.signed_up", END, customer_id=key_for(p, "ZCU"),
               source="direct") for p in range(PARTITIONS)]


def build(seed: int = 7, rate: float = 30.0) -> CustomerScenario:
    rng = random.Random(seed)
    traffic = MixedTraffic(seed=seed, tickets_per_hour=rate, families=("customers",))
    simulated = [(parse_time(e["time"]), e) for e in traffic.history(END - 40 * DAY, END)]
    arrivals = sorted([*simulated, *edge_cases()], key=lambda pair: pair[0])
    s = CustomerScenario()
    for _, event in arrivals:
        s.valid.append(event)
        line = orjson.dumps(event)
        s.lines.append(line)
        if rng.random() < 0.02:  # a redelivery, shortly after
            s.lines.append(line)
    for event in closing():
        s.valid.append(event)
        s.lines.append(orjson.dumps(event))
    # Far enough back to be late whatever partition a worker reads last: each worker's
    # "now" is the least of its partitions' latest times, and those differ by hours.
    s.late = [ev("late-u", "customer.signed_up", END - 45 * DAY, customer_id="CL",
                 source="paid"),
              _sub("subscription.started", END - 60 * DAY, "EL", "CL", mrr=500)]
    s.lines += [orjson.dumps(e) for e in s.late]
    return s
