"""Event times at RFC 3339's earliest bound, then the present, fed as the agents feed
them: the expiry queues and the tickets' deadline queue jump 63 billion seconds at
once. The old state is forgotten, its breaches are older than any kept window (so
none is counted), and the new state stands."""

from __future__ import annotations

import time

import orjson

from cxpulse.simulate.base import rfc3339
from tests.support.mixed import MixedPipeline

EARLIEST = "0001-01-01T00:00:00Z"


def _opened(n: int, t: str) -> bytes:
    return orjson.dumps({"specversion": "1.0", "id": f"o{n}-{t}", "source": "test",
                         "type": "ticket.opened", "time": t,
                         "data": {"ticket_id": f"T-{t[:4]}-{n}", "customer_id": "C",
                                  "channel": "email", "priority": "urgent"}})


def _session(n: int, t: str) -> bytes:
    return orjson.dumps({"specversion": "1.0", "id": f"s{n}-{t}", "source": "test",
                         "type": "session.started", "time": t,
                         "data": {"session_id": f"S-{t[:4]}-{n}", "user_id": f"U{n}",
                                  "source": "paid"}})


def test_the_earliest_time_then_now_forgets_the_old_and_keeps_the_new() -> None:
    pipeline = MixedPipeline()
    present = rfc3339(time.time() - 60)
    for t in (EARLIEST, present):
        assert pipeline.feed([make(n, t) for n in range(60) for make in (_opened, _session)],
                             batch=50) == []
    tickets, sessions = pipeline.tables["tickets"], pipeline.tables["sessions"]
    assert len(tickets) == 60 and all(key.startswith("T-" + present[:4]) for key in tickets)
    assert len(sessions) == 60 and all(key.startswith("S-" + present[:4]) for key in sessions)
    samples = pipeline.samples()
    assert sum(v for (name, _), v in samples.items() if name == "cx_tickets_open") == 60
    assert not any(v for (name, _), v in samples.items() if name == "cx_sla_breaches_total")
