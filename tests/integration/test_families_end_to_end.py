"""Every family end to end on the real broker, with one worker and with two.

A mixed scenario (several hours of simulated traffic of every family, with the
contract's edge cases, redeliveries, late and malformed events) is published with
``cxpulse publish`` and replayed by ``cxpulse worker`` in replay mode. Every series
of SPEC §2 must equal the naive references' value (quantiles within 1 %).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Env, Worker, free_port
from tests.support import mixed_scenario
from tests.support.expected import FAMILY_PREFIXES, expected_metrics, ratio_mismatches
from tests.support.mixed_scenario import MixedScenario
from tests.support.prom import TICKET_FAMILIES, SampleKey, mismatches, only, summed

pytestmark = pytest.mark.integration

SERIES = (*TICKET_FAMILIES, *FAMILY_PREFIXES)


def _publish(env: Env, s: MixedScenario, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(s.lines) + b"\n")
    published = env.run("publish", str(path))
    assert published.returncode == 0, published.stderr
    assert f"published {len(s.lines)} events" in published.stderr


def _caught_up(samples: dict[SampleKey, float], s: MixedScenario) -> bool:
    marks = {dict(labels)["topic"]: v for (name, labels), v in samples.items()
             if name == "cx_watermark_seconds"}
    accepted = sum(v for (name, _), v in samples.items() if name == "cx_events_total")
    return marks == s.watermarks() and accepted >= len(s.valid)


@pytest.fixture(scope="module")
def scenario() -> MixedScenario:
    return mixed_scenario.build()


@pytest.fixture(scope="module")
def expected(scenario: MixedScenario) -> dict[SampleKey, float]:
    return expected_metrics(scenario)


def test_every_family_replayed_through_kafka_matches_the_naive_computation(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        scenario: MixedScenario, expected: dict[SampleKey, float]) -> None:
    _publish(cx_env, scenario, tmp_path)
    worker = start_worker(cx_env)
    worker.wait_for(lambda m: _caught_up(m, scenario), timeout=300)
    samples = worker.settle(lambda m: mismatches(only(m, SERIES), only(expected, SERIES)))

    # The ticket components add up to the ratios the reference checked.
    assert not ratio_mismatches(samples, "cx_sla_attainment_ratio", "cx_sla_met",
                                "cx_sla_met", "cx_sla_breached")

    counters = only(samples, ("cx_events",))
    for topic in scenario.watermarks():
        valid = [e for e in scenario.valid if scenario.topic_of(e) == topic]
        for event_type in {e["type"] for e in valid}:
            want = sum(1 for e in valid if e["type"] == event_type)
            key = ("cx_events_total", (("event_type", event_type), ("topic", topic)))
            assert counters[key] == want, key
        topic_label = (("topic", topic),)
        assert counters[("cx_events_duplicate_total", topic_label)] == \
            scenario.duplicates.get(topic, 0)
        late = sum(1 for e in scenario.late if scenario.topic_of(e) == topic)
        assert counters[("cx_events_late_total", topic_label)] == late
    rejected = {(dict(k[1])["topic"], dict(k[1])["reason"].split(":")[0]): v
                for k, v in counters.items() if k[0] == "cx_events_rejected_total"}
    assert rejected == {k: float(v) for k, v in scenario.rejected.items()}

    # No event id, entity id or person id in any label or in the INFO log.
    ids = {str(v) for e in scenario.valid
           for k, v in [("id", e["id"]), *e["data"].items()] if k == "id" or k.endswith("_id")}
    labels = {value for _, pairs in samples for _, value in pairs}
    assert not ids & labels
    tokens = set(re.findall(r"[\w.:-]+", worker.log.read_text(errors="replace")))
    leaked = sorted(i for i in ids & tokens if len(i) > 2)  # "C", "A": too short to tell
    assert not leaked, f"{len(leaked)} ids in the INFO log, e.g. {leaked[:3]}"


def _is_count(key: SampleKey) -> bool:
    """Series that SPEC §3 says add up over workers (no ratio, mean, quantile or age)."""
    name, labels = key
    if any(k == "quantile" for k, _ in labels):
        return False
    return not name.endswith(("_ratio", "_mean", "_age_seconds")) and name not in (
        "cx_nps", "cx_cost_per_click", "cx_cost_per_conversion", "cx_cost_per_resolution",
        "cx_pages_per_session", "cx_watermark_seconds",
        "cx_sla_next_breach_seconds",  # the team value is the min over workers
        "cx_staffing_required_agents")  # a hint from the owner's "now", like the quantiles


def test_two_workers_sum_to_the_single_worker_values(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        scenario: MixedScenario, expected: dict[SampleKey, float]) -> None:
    second_env = Env({**cx_env.vars, "CXPULSE_METRICS_PORT": str(free_port()),
                      "CXPULSE_WEB_PORT": str(free_port()),
                      "CXPULSE_DATA_DIR": str(tmp_path / "worker-2")})
    workers = [start_worker(cx_env), start_worker(second_env)]
    for w in workers:  # both up and in the group before any event: no rebalance mid-way
        w.wait_for(lambda m: True, timeout=120)
    time.sleep(15)
    _publish(cx_env, scenario, tmp_path)

    def both_done() -> list[dict[SampleKey, float]]:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            endpoints = [w.scrape() for w in workers]
            total = summed(endpoints)
            accepted = sum(v for (name, _), v in total.items() if name == "cx_events_total")
            marks_done = all(v == scenario.watermarks()[dict(k[1])["topic"]]
                             for e in endpoints for k, v in e.items()
                             if k[0] == "cx_watermark_seconds")
            if accepted >= len(scenario.valid) and marks_done:
                return endpoints
            time.sleep(1)
        pytest.fail("the two workers did not catch up:\n" + workers[0].tail())

    endpoints = both_done()
    assert all(any(k[0] == "cx_events_total" and v > 0 for k, v in e.items())
               for e in endpoints), "one worker got no partition"
    total = summed(endpoints)
    # cx_sla_breaches_total counts a breach when a worker's "now" passes the deadline;
    # each worker's replay clock is its own partitions' watermark, so a response
    # still on its way may let one more breach fire (never fewer): compared below.
    counts = {k: v for k, v in only(expected, SERIES).items()
              if _is_count(k) and k[0] not in ("cx_sla_breaches_total", "cx_contacts_repeat")}
    problems = mismatches({k: total.get(k, 0.0) for k in counts}, counts)
    assert not problems, "\n".join(problems[:40])
    # Repeats are counted where the customer is owned: the answers travel through the
    # contact-answers topic after the counts, like the team samples.
    repeats = {k: v for k, v in expected.items() if k[0] == "cx_contacts_repeat"}
    assert sum(repeats.values()) > 0
    deadline = time.monotonic() + 60
    while True:
        latest = summed([w.scrape() for w in workers])
        problems = mismatches({k: latest.get(k, 0.0) for k in repeats}, repeats)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not problems, "\n".join(problems[:40])
    total.update({k: latest[k] for k in repeats})
    assert all(total[k] >= v for k, v in expected.items() if k[0] == "cx_sla_breaches_total")
    assert total[("cx_active_users", (("window", "24h"),))] == expected[
        ("cx_active_users", (("window", "24h"),))]

    # Quantiles come from the one worker that owns the team's samples; the last
    # samples may still be on their way through Kafka for a moment.
    quantiles = {k: v for k, v in only(expected, SERIES).items()
                 if any(n == "quantile" for n, _ in k[1])}
    assert quantiles
    deadline = time.monotonic() + 30
    while True:
        exported = [{k: v for k, v in w.scrape().items()
                     if any(n == "quantile" for n, _ in k[1])} for w in workers]
        assert not exported[0].keys() & exported[1].keys(), "two workers export quantiles"
        problems = mismatches({**exported[0], **exported[1]}, quantiles)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])

    # Team-level ratios are sums over workers divided: what the recording rules do.
    for ratio, num, dens in (
            ("cx_conversion_ratio", "cx_conversions", ("cx_sessions_started",)),
            ("cx_bounce_ratio", "cx_sessions_bounced", ("cx_sessions_ended",)),
            ("cx_pages_per_session", "cx_page_views", ("cx_sessions_started",)),
            ("cx_contact_service_level_ratio", "cx_contacts_answered_in_target",
             ("cx_contacts_answered", "cx_contacts_abandoned")),
            ("cx_contact_abandonment_ratio", "cx_contacts_abandoned",
             ("cx_contacts_answered", "cx_contacts_abandoned")),
            ("cx_agent_occupancy_ratio", "cx_agent_busy_seconds",
             ("cx_agent_staffed_seconds",)),
            ("cx_contact_repeat_ratio", "cx_contacts_repeat", ("cx_contacts_answered",))):
        checked = 0
        for key, want in expected.items():
            if key[0] == ratio:
                got = total[(num, key[1])] / sum(total[(d, key[1])] for d in dens)
                assert abs(got - want) < 1e-9, (key, got, want)
                checked += 1
        assert checked, f"no {ratio} in the expected values"
