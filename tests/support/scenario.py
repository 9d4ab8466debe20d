"""A recorded ticket scenario: simulated traffic plus the edge cases the contract names.

Used by the unit tests (fed straight into the pure pipeline) and by the integration
test (published to the real broker with ``cxpulse publish``), and checked against
the naive reference in both.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka.partitioner import DefaultPartitioner

from cxpulse.schemas.events import parse_time
from cxpulse.simulate.base import rfc3339
from cxpulse.simulate.tickets import TicketTraffic

END = 1_795_340_000.0
"""A fixed end of the recorded span (2026-11-22T09:33:20Z), so runs are repeatable."""

PARTITIONS = 6


def ev(event_id: str, event_type: str, t: float, **data: Any) -> dict[str, Any]:
    return {"specversion": "1.0", "id": event_id, "source": "test", "type": event_type,
            "time": rfc3339(t), "data": data}


@dataclass
class Scenario:
    lines: list[bytes] = field(default_factory=list)
    """The JSONL file, in publishing order."""
    valid: list[dict[str, Any]] = field(default_factory=list)
    """Each valid event once."""
    duplicates: int = 0
    unroutable_lines: list[int] = field(default_factory=list)
    """1-based line numbers ``cxpulse publish`` must report and skip."""
    rejected: dict[str, int] = field(default_factory=dict)
    """Reason kind -> events the worker must dead-letter."""

    def partition_of(self, event: dict[str, Any]) -> int:
        key = event["data"]["ticket_id"].encode()
        return int(DefaultPartitioner()(key, list(range(PARTITIONS)), list(range(PARTITIONS))))

    def watermark(self) -> float:
        """Min over partitions of the max event time: the replay "now" at the end."""
        best: dict[int, float] = {}
        for event in self.valid:
            t = parse_time(event["time"])
            assert t is not None
            p = self.partition_of(event)
            best[p] = max(best.get(p, t), t)
        return min(best.values())


def edge_cases(end: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(events to place by time, events to append at the very end)."""
    h = 3600.0
    placed = [
        # Bot and private replies do not count; the public one is the first response.
        ev("x-2o", "ticket.opened", end - 2.9 * h, ticket_id="E-2", customer_id="C",
           channel="email", priority="high"),
        ev("x-2b", "ticket.responded", end - 2.9 * h + 10, ticket_id="E-2", agent_id="bot",
           by="bot"),
        ev("x-2p", "ticket.responded", end - 2.9 * h + 60, ticket_id="E-2", agent_id="A",
           public=False),
        ev("x-2r", "ticket.responded", end - 2.9 * h + 1200, ticket_id="E-2", agent_id="A"),
        ev("x-2s", "ticket.resolved", end - 2.9 * h + 1800, ticket_id="E-2", agent_id="A"),
        # Values outside the lists are exported as other; never answered.
        ev("x-3o", "ticket.opened", end - 2 * h, ticket_id="E-3", customer_id="C",
           channel="carrier-pigeon", priority="p9"),
        # Urgent, never answered: first-response breach at +15 min.
        ev("x-4o", "ticket.opened", end - 1 * h, ticket_id="E-4", customer_id="C",
           channel="phone", priority="urgent"),
        # Resolved, reopened, resolved again.
        ev("x-5o", "ticket.opened", end - 2.5 * h, ticket_id="E-5", customer_id="C",
           channel="email", priority="normal"),
        ev("x-5r", "ticket.responded", end - 2.5 * h + 600, ticket_id="E-5", agent_id="A"),
        ev("x-5s", "ticket.resolved", end - 2.5 * h + 1200, ticket_id="E-5", agent_id="A"),
        ev("x-5O", "ticket.reopened", end - 2.5 * h + 2400, ticket_id="E-5"),
        ev("x-5r2", "ticket.responded", end - 2.5 * h + 3000, ticket_id="E-5", agent_id="A"),
        ev("x-5s2", "ticket.resolved", end - 2.5 * h + 4200, ticket_id="E-5", agent_id="A"),
    ]
    # Reply published before its ticket.opened (swapped below): it must be held.
    early_reply = ev("x-1r", "ticket.responded", end - 1.8 * h, ticket_id="E-1", agent_id="A")
    opened_after = ev("x-1o", "ticket.opened", end - 2 * h, ticket_id="E-1", customer_id="C",
                      channel="chat", priority="urgent")
    # Late: older than now - 24h - 1m when it arrives, last in the file.
    late = ev("x-6o", "ticket.opened", end - 50 * h, ticket_id="E-6", customer_id="C",
              channel="web", priority="high")
    return placed, [early_reply, opened_after, late]


def build(seed: int = 7, hours: float = 3.0, rate: float = 500.0,
          end: float = END) -> Scenario:
    rng = random.Random(seed)
    placed, appended = edge_cases(end)
    events = TicketTraffic(seed=seed, tickets_per_hour=rate).history(end - hours * 3600, end)
    events = sorted(events + placed, key=lambda e: parse_time(e["time"]) or 0.0)
    s = Scenario(valid=[*events, *appended])
    body: list[bytes] = []
    for event in [*events, *appended]:
        line = orjson.dumps(event)
        body.append(line)
        if rng.random() < 0.01:  # a redelivery, shortly after the original
            body.append(line)
            s.duplicates += 1
    s.lines = body
    _add_bad(s, rng)
    return s


def _add_bad(s: Scenario, rng: random.Random) -> None:
    bad: Iterable[tuple[bytes, str | None]] = [
        (b"this is not json", None),
        (orjson.dumps({"type": "ticket.merged", "data": {}}), None),
        (orjson.dumps(ev("b-1", "ticket.opened", END - 3600, ticket_id="B-1", channel="chat",
                         priority="low")), "missing_field"),
        (orjson.dumps({**ev("b-2", "ticket.reopened", END - 3600, ticket_id="B-2"),
                       "time": "yesterday"}), "invalid_time"),
    ]
    for line, reason in bad:
        at = rng.randrange(len(s.lines))
        s.lines.insert(at, line)
        s.unroutable_lines = [n + 1 if n > at else n for n in s.unroutable_lines]
        if reason is None:
            s.unroutable_lines.append(at + 1)
        else:
            s.rejected[reason] = s.rejected.get(reason, 0) + 1
    s.unroutable_lines.sort()
