"""Reading one sample of an exposition (what the latency row reads per scrape)."""

from __future__ import annotations

import orjson
from prometheus_client import generate_latest

from cxpulse.metrics_text import parse, sample
from tests.support import mixed_scenario
from tests.support.mixed import MixedPipeline


def test_one_sample_reads_as_the_whole_parse_reads_it() -> None:
    pipeline = MixedPipeline()
    scenario = mixed_scenario.build(seed=3, hours=0.5, rate=40.0)
    pipeline.feed(orjson.dumps(e) for e in scenario.aggregated)
    text = generate_latest(pipeline.registry).decode()
    whole = parse(text)
    keys = [k for k in whole if k[0] in ("cx_events_total", "cx_tickets_open",
                                         "cx_first_response_seconds")]
    assert len(keys) > 20
    for key in keys:
        assert sample(text, key) == whole[key], key
    opened = ("cx_events_total", (("event_type", "ticket.opened"), ("topic", "cx.tickets")))
    assert sample(text, opened) == whole[opened] > 0


def test_a_sample_the_exposition_does_not_have_reads_none() -> None:
    text = 'cx_events_total{event_type="ticket.opened",topic="cx.tickets"} 3.0\n'
    assert sample(text, ("cx_events_total", (("event_type", "x"),))) is None
    assert sample(text, ("cx_missing", ())) is None
    assert sample(text, ("cx_events_total", (("event_type", "ticket.opened"),
                                             ("topic", "cx.tickets")))) == 3.0
