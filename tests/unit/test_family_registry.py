"""The family registry (cxpulse/families.py) is what the worker, replay, the
simulator, the live page and the README's metric list follow: each check here
fails when one of them drifts from it."""

from __future__ import annotations

import functools
import re
import time
from collections import Counter
from pathlib import Path

import orjson
from prometheus_client.registry import Collector

from cxpulse.collector_guard import CollectorGuard
from cxpulse.collectors.cross_family import CrossFamilyRatios
from cxpulse.collectors.ingest import IngestCollector
from cxpulse.families import FAMILIES, broker_topics, family_collectors
from cxpulse.publishing import Routed, route
from cxpulse.replay import summary
from cxpulse.schemas.contract import TOPIC_TYPES
from cxpulse.simulate.mixed import MixedTraffic
from cxpulse.streams.health import KafkaProbe
from tests.support.mixed import MixedPipeline

ROOT = Path(__file__).resolve().parents[2]
ONLY_WHILE_WAITING = {"cx_oldest_queued_contact_age_seconds",
                      "cx_oldest_unanswered_ticket_age_seconds"}
"""Gauges with a series only while something waits (none at a quiet moment)."""


def exported_names(collector: Collector) -> set[str]:
    """Sample names as the exposition spells them, a summary's under its own name."""
    names = set()
    for family in collector.collect():
        for sample in family.samples:
            name = sample.name
            if family.type == "summary":
                name = name.removesuffix("_sum").removesuffix("_count")
            names.add(name)
    return names


@functools.cache
def simulated_day() -> tuple[bytes, ...]:
    end = time.time()
    # Customers need weeks before the day: churn and complaint closes take that long.
    weeks = MixedTraffic(3, 30, families=("customers",)).history(end - 35 * 86400, end - 86400)
    return tuple(orjson.dumps(e) for e in [*weeks, *MixedTraffic(3, 30).history(end - 86400, end)])


@functools.cache
def fed() -> MixedPipeline:
    pipeline = MixedPipeline()
    pipeline.feed(simulated_day())
    return pipeline


def test_every_topic_of_the_contract_has_one_family_and_the_broker_creates_it() -> None:
    topics = [line.topic for line in FAMILIES]
    assert sorted(topics) == sorted(TOPIC_TYPES)
    assert len({line.name for line in FAMILIES}) == len(FAMILIES)
    assert set(topics) <= set(broker_topics())
    for line in FAMILIES:
        assert line.event_types and all((ROOT / f).is_file() for f in line.schema_files)


def test_each_collector_exports_exactly_the_metrics_it_declares() -> None:
    pipeline = fed()
    families = {topic.removeprefix("cx."): f for topic, f in pipeline.families.items()}
    collectors = dict(family_collectors(families, pipeline.team))
    for line in FAMILIES:
        exported, declared = exported_names(collectors[line.name]), set(line.collector.METRICS)
        assert exported <= declared, line.name
        assert declared - exported <= ONLY_WHILE_WAITING, line.name
    assert exported_names(collectors["cross_family"]) == set(CrossFamilyRatios.METRICS)


def test_the_readme_lists_exactly_the_metrics_the_collectors_declare() -> None:
    section = (ROOT / "README.md").read_text().split("## Metrics")[1].split("\n## ")[0]
    listed = set(re.findall(r"`(cx_[a-z0-9_]+)`", section))
    declared = {*IngestCollector.METRICS, *CrossFamilyRatios.METRICS, *CollectorGuard.METRICS,
                *KafkaProbe.METRICS, *(m for line in FAMILIES for m in line.collector.METRICS)}
    assert listed == declared


def test_the_live_page_has_each_familys_tiles_in_the_registrys_order() -> None:
    script = (ROOT / "cxpulse" / "livepage" / "app.js").read_text()
    tiles = re.findall(r'\{ id: "(\w+)"', script)
    assert tiles == [tile for line in FAMILIES for tile in line.tiles]


def test_the_simulator_makes_every_familys_event_types() -> None:
    routed: Counter[str] = Counter()
    settings = fed().settings
    for line in simulated_day():
        r = route(line, settings)
        if isinstance(r, Routed):
            routed[orjson.loads(r.value)["type"]] += 1
    for line in FAMILIES:
        assert all(routed[t] > 0 for t in line.event_types), (line.name, routed)
    assert tuple(line.name for line in FAMILIES if line.traffic) == MixedTraffic.FAMILIES


def test_the_replay_summary_has_rows_for_every_family() -> None:
    groups = {group for group, _, _ in summary(fed().samples())}
    assert groups == {"events", *(line.name for line in FAMILIES)}


def test_the_replay_summary_shows_the_average_handle_time() -> None:
    samples = fed().samples()
    rows = {(group, name): value for group, name, value in summary(samples)}
    count = sum(v for (n, labels), v in samples.items()
                if n == "cx_contact_handle_seconds_count" and ("window", "24h") in labels)
    assert count > 0
    mean = sum(v for (n, labels), v in samples.items()
               if n == "cx_contact_handle_seconds_sum" and ("window", "24h") in labels) / count
    assert rows[("contacts", "average handle time (24h)")] == f"{mean:.1f} s"
