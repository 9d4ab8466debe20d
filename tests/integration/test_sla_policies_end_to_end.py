"""SLA policies end to end on the real broker (issue 17): schedules, paused clocks and
next replies published with ``cxpulse publish``, replayed by ``cxpulse worker`` with the
policy in ``CXPULSE_CONFIG``; every ticket series equals the naive reference, with one
worker (also after a SIGKILL and restart) and with two."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Env, Worker, free_port
from tests.reference.tickets_naive import expected_ticket_metrics
from tests.support import sla_scenario
from tests.support.prom import TICKET_FAMILIES, SampleKey, mismatches, only, summed
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

TICKETS = (("topic", "cx.tickets"),)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return sla_scenario.build()


@pytest.fixture(scope="module")
def expected(scenario: Scenario) -> dict[SampleKey, float]:
    return expected_ticket_metrics(scenario.valid, scenario.watermark(),
                                   policy=sla_scenario.POLICY)


@pytest.fixture
def env(cx_env: Env, tmp_path: Path) -> Env:
    config = tmp_path / "cxpulse.toml"
    config.write_text(sla_scenario.POLICY_TOML)
    return Env({**cx_env.vars, "CXPULSE_CONFIG": str(config)})


def _publish(env: Env, s: Scenario, tmp_path: Path) -> None:
    path = tmp_path / "sla.jsonl"
    path.write_bytes(b"\n".join(s.lines) + b"\n")
    published = env.run("publish", str(path))
    assert published.returncode == 0, published.stderr


def _accepted(samples: dict[SampleKey, float]) -> float:
    return sum(v for (name, labels), v in samples.items()
               if name == "cx_events_total" and dict(labels)["topic"] == "cx.tickets")


def test_one_worker_equals_the_reference_and_recovers_after_a_kill(
        env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path, scenario: Scenario,
        expected: dict[SampleKey, float]) -> None:
    _publish(env, scenario, tmp_path)
    now = scenario.watermark()
    worker = start_worker(env)
    worker.wait_for(lambda m: m.get(("cx_watermark_seconds", TICKETS)) == now
                    and _accepted(m) == len(scenario.valid), timeout=300)
    first = worker.settle(lambda m: mismatches(only(m, TICKET_FAMILIES), expected))
    for name in ("cx_sla_at_risk_tickets", "cx_tickets_paused", "cx_next_reply_seconds_count"):
        assert sum(v for (n, _), v in first.items() if n == name) > 0, name

    worker.kill()
    restarted = start_worker(env)
    recovered = tuple(f for f in TICKET_FAMILIES if f != "cx_sla_breaches")
    restarted.wait_for(
        lambda m: m.get(("cx_watermark_seconds", TICKETS)) == now
        and not mismatches(only(m, recovered), only(expected, recovered)), timeout=240)
    # No breach is counted again by the restarted process: its marks came back.
    second = restarted.scrape()
    assert sum(v for (n, _), v in only(second, ("cx_sla_breaches",)).items()) == 0


COUNTS = ("cx_tickets_opened", "cx_tickets_resolved", "cx_tickets_open", "cx_tickets_in_breach",
          "cx_tickets_paused", "cx_sla_at_risk_tickets",
          "cx_next_reply_seconds_sum", "cx_next_reply_seconds_count",
          "cx_first_response_seconds_sum", "cx_first_response_seconds_count")


def test_two_workers_add_up_to_the_reference(
        env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path, scenario: Scenario,
        expected: dict[SampleKey, float]) -> None:
    second = Env({**env.vars, "CXPULSE_METRICS_PORT": str(free_port()),
                  "CXPULSE_WEB_PORT": str(free_port()),
                  "CXPULSE_DATA_DIR": str(tmp_path / "worker-2")})
    workers = [start_worker(env), start_worker(second)]
    for w in workers:  # both in the group before any event: no rebalance mid-way
        w.wait_for(lambda m: True, timeout=120)
    time.sleep(15)
    _publish(env, scenario, tmp_path)
    counts = {k: v for k, v in expected.items() if k[0] in COUNTS}
    deadline = time.monotonic() + 300
    while True:
        endpoints = [w.scrape() for w in workers]
        total = summed(endpoints)
        problems = mismatches({k: total.get(k, 0.0) for k in counts}, counts)
        if not problems and _accepted(total) == len(scenario.valid):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"{len(problems)} differences:\n" + "\n".join(problems[:30]))
        time.sleep(1)
    assert all(_accepted(e) > 0 for e in endpoints), "one worker got no ticket partition"

    # Attainment from the summed components, as team:cx_sla_attainment_ratio does.
    checked = 0
    for (name, labels), want in expected.items():
        if name == "cx_sla_attainment_ratio":
            met, breached = total[("cx_sla_met", labels)], total[("cx_sla_breached", labels)]
            assert abs(met / (met + breached) - want) < 1e-9, labels
            checked += 1
    assert any(dict(k[1])["sla"] == "next_reply" for k in expected
               if k[0] == "cx_sla_attainment_ratio") and checked
    # The next breach: min over workers (team:cx_sla_next_breach_seconds:min).
    for (name, labels), want in expected.items():
        if name == "cx_sla_next_breach_seconds":
            got = min(e[(name, labels)] for e in endpoints if (name, labels) in e)
            assert got == pytest.approx(want), labels
    # Breaches: each worker's replay clock is its own partitions' watermark, so one may
    # fire before a response on its way arrives (never fewer), as for the other SLAs.
    for key, want in expected.items():
        if key[0] == "cx_sla_breaches_total":
            assert total[key] >= want, key
    # Next-reply quantiles from the one worker that owns the team samples.
    quantiles = {k: v for k, v in expected.items()
                 if k[0] == "cx_next_reply_seconds" and any(n == "quantile" for n, _ in k[1])}
    assert quantiles
    deadline = time.monotonic() + 30
    while True:
        exported = [{k: v for k, v in w.scrape().items() if k[0] == "cx_next_reply_seconds"}
                    for w in workers]
        assert not exported[0].keys() & exported[1].keys(), "two workers export quantiles"
        problems = mismatches({**exported[0], **exported[1]}, quantiles)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not problems, "\n".join(problems[:30])
