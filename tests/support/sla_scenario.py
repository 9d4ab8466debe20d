"""A recorded ticket scenario under SLA policies: office-hours schedules with a holiday,
an overnight schedule, paused clocks and next replies, plus the edge cases issue 17
names. Checked against the naive reference in-process and on the real broker.

The day: Monday 2026-11-23 is a holiday of the office schedule; the span ends Tuesday
2026-11-24 14:10 UTC (15:10 in Berlin), so normal and low tickets opened on Sunday or
Monday start counting on Tuesday 08:00 and many of their deadlines fall inside the
24h window, some just ahead of "now" (at risk). Targets are short so that deadlines
come within the scenario.
"""

from __future__ import annotations

import tomllib
from typing import Any

import orjson

from cxpulse.schemas.events import parse_time
from cxpulse.simulate.tickets import TicketTraffic
from tests.support.mixed_scenario import key_for
from tests.support.scenario import PARTITIONS, Scenario, ev

END = 1_795_529_400.0
"""2026-11-24T14:10:00Z, a Tuesday."""

POLICY_TOML = """\
[sla.first_response]
urgent = "10m"
high = "30m"
normal = "2h"
low = "4h"
[sla.resolution]
urgent = "2h"
high = "3h"
normal = "6h"
low = "9h"
[sla.next_reply]
urgent = "20m"
high = "40m"
normal = "90m"
low = "3h"
[sla.schedule]
high = "late_desk"
normal = "office"
low = "office"
[sla.pause]
statuses = ["pending", "on_hold"]

[schedules.office]
timezone = "Europe/Berlin"
mon = ["08:00-18:00"]
tue = ["08:00-12:30", "13:30-18:00"]
wed = ["08:00-18:00"]
thu = ["08:00-18:00"]
fri = ["08:00-18:00"]
holidays = ["2026-11-23"]

[schedules.late_desk]
timezone = "America/New_York"
mon = ["06:00-12:00", "20:00-02:00"]
tue = ["06:00-12:00", "20:00-02:00"]
sun = ["22:00-04:00"]
"""
POLICY: dict[str, Any] = tomllib.loads(POLICY_TOML)

H = 3600.0


def edge_cases(end: float) -> list[dict[str, Any]]:
    """The cases the issue names, placed by time (ids start with ``s-``)."""
    return [
        # A status event stamped before its opening: pending from the opening on.
        ev("s-1st", "ticket.status_changed", end - 5 * H - 60, ticket_id="S-1", status="pending"),
        ev("s-1o", "ticket.opened", end - 5 * H, ticket_id="S-1", customer_id="C",
           channel="email", priority="urgent"),
        ev("s-1r", "ticket.responded", end - 5 * H + 300, ticket_id="S-1", agent_id="A"),
        ev("s-1c", "ticket.customer_replied", end - 4 * H, ticket_id="S-1"),
        # A pause that straddles the resolution deadline (urgent: 2 h calendar).
        ev("s-2o", "ticket.opened", end - 6 * H, ticket_id="S-2", customer_id="C",
           channel="chat", priority="urgent"),
        ev("s-2r", "ticket.responded", end - 6 * H + 120, ticket_id="S-2", agent_id="A"),
        ev("s-2p", "ticket.status_changed", end - 5 * H, ticket_id="S-2", status="on_hold"),
        ev("s-2o2", "ticket.status_changed", end - 3 * H, ticket_id="S-2", status="open"),
        # Reopen after resolve, then a customer reply run answered once.
        ev("s-3o", "ticket.opened", end - 8 * H, ticket_id="S-3", customer_id="C",
           channel="web", priority="urgent"),
        ev("s-3r", "ticket.responded", end - 8 * H + 200, ticket_id="S-3", agent_id="A"),
        ev("s-3s", "ticket.resolved", end - 7 * H, ticket_id="S-3", agent_id="A"),
        ev("s-3O", "ticket.reopened", end - 2 * H, ticket_id="S-3"),
        ev("s-3c1", "ticket.customer_replied", end - 2 * H, ticket_id="S-3"),
        ev("s-3c2", "ticket.customer_replied", end - 2 * H + 300, ticket_id="S-3"),
        ev("s-3c3", "ticket.customer_replied", end - 2 * H + 600, ticket_id="S-3"),
        ev("s-3r2", "ticket.responded", end - 1.5 * H, ticket_id="S-3", agent_id="A"),
        # An office ticket opened on the holiday: due on Tuesday.
        ev("s-4o", "ticket.opened", end - 28 * H, ticket_id="S-4", customer_id="C",
           channel="phone", priority="normal"),
        # A next reply that waits on a third party past its deadline, then breaches.
        ev("s-5o", "ticket.opened", end - 3 * H, ticket_id="S-5", customer_id="C",
           channel="social", priority="urgent"),
        ev("s-5r", "ticket.responded", end - 3 * H + 60, ticket_id="S-5", agent_id="A"),
        ev("s-5c", "ticket.customer_replied", end - 2.5 * H, ticket_id="S-5"),
        ev("s-5h", "ticket.status_changed", end - 2.5 * H + 600, ticket_id="S-5",
           status="on_hold"),
        ev("s-5o2", "ticket.status_changed", end - 1 * H, ticket_id="S-5", status="open"),
    ]


def build(seed: int = 11, hours: float = 34.0, rate: float = 45.0,
          end: float = END) -> Scenario:
    """Simulated tickets over ``hours`` before ``end`` plus the edge cases, published in
    time order: a later-stamped event published early would move the watermark past
    deadlines that its partition's next events still change, and the breach counter
    (never undone) would then rightly differ from the history as finally known. Any
    arrival order is the business of ``test_any_arrival_order_gives_the_reference_numbers``."""
    events = TicketTraffic(seed=seed, tickets_per_hour=rate).history(end - hours * H, end)
    events = sorted(events + edge_cases(end), key=lambda e: parse_time(e["time"]) or 0.0)
    # Every partition ends at ``end``: each worker's replay "now" is the same instant
    # (its own partitions' watermark), so two workers' windows add up to one's.
    events += [ev(f"s-z{p}", "ticket.opened", end, ticket_id=key_for(p, "ZT"),
                  customer_id="C", channel="web", priority="low") for p in range(PARTITIONS)]
    return Scenario(valid=events, lines=[orjson.dumps(e) for e in events])
