"""The customers family end to end on the real broker: one worker, two, and a SIGKILL.

The 40-day ``cx.customers`` scenario (simulated customers plus every edge case of
issue 16, redeliveries and late events) is published with ``cxpulse publish`` and
replayed by ``cxpulse worker`` in replay mode, in Europe/Berlin (the end of summer
time lies inside the 30 days) with a gross margin from the TOML file. Every series
must equal the plain reference's (counts and sums exact, ratios to 1e-9, quantiles
within the sketch's 1 %).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from tests.integration.conftest import Env, Worker, free_port
from tests.integration.test_families_end_to_end import _publish
from tests.reference.customers_plain import expected_customer_metrics
from tests.support import customer_scenario
from tests.support.customer_scenario import CustomerScenario
from tests.support.prom import SampleKey, mismatches, only, summed

pytestmark = pytest.mark.integration

SERIES = ("cx_customer", "cx_mrr", "cx_signups", "cx_referr", "cx_viral", "cx_complaint")
TIMEZONE, MARGIN = "Europe/Berlin", 0.8
END = customer_scenario.END


@pytest.fixture(scope="module")
def scenario() -> CustomerScenario:
    return customer_scenario.build()


@pytest.fixture(scope="module")
def expected(scenario: CustomerScenario) -> dict[SampleKey, float]:
    return only(expected_customer_metrics(scenario.valid, END, TIMEZONE, gross_margin=MARGIN),
                SERIES)


@pytest.fixture
def env(cx_env: Env, tmp_path: Path) -> Env:
    config = tmp_path / "cxpulse.toml"
    config.write_text(f"[customers]\ngross_margin = {MARGIN}\n")
    return Env({**cx_env.vars, "CXPULSE_TIMEZONE": TIMEZONE, "CXPULSE_CONFIG": str(config)})


def _second(env: Env, tmp_path: Path) -> Env:
    return Env({**env.vars, "CXPULSE_METRICS_PORT": str(free_port()),
                "CXPULSE_WEB_PORT": str(free_port()),
                "CXPULSE_DATA_DIR": str(tmp_path / "worker-2")})


def _publish_lines(env: Env, lines: list[bytes], path: Path) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")
    published = env.run("publish", str(path))
    assert published.returncode == 0, published.stderr
    assert f"published {len(lines)} events" in published.stderr


def _counted(samples: dict[SampleKey, float]) -> float:
    return sum(v for (n, labels), v in samples.items()
               if n == "cx_events_total" and dict(labels)["topic"].endswith("cx.customers"))


def _explain(expected: dict[SampleKey, float]) -> Callable[[dict[SampleKey, float]], str]:
    def describe(samples: dict[SampleKey, float]) -> str:
        wrong = mismatches(only(samples, SERIES), expected)
        return (f"{_counted(samples):.0f} customer events counted; {len(wrong)} series "
                "differ, e.g.\n" + "\n".join(wrong[:15]))
    return describe


def test_forty_days_of_customers_replayed_through_kafka_equal_the_reference(
        env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        scenario: CustomerScenario, expected: dict[SampleKey, float]) -> None:
    _publish(env, scenario, tmp_path)
    worker = start_worker(env)
    samples = worker.wait_for(lambda m: not mismatches(only(m, SERIES), expected),
                              timeout=300, explain=_explain(expected))
    late = [v for (n, labels), v in samples.items()
            if n == "cx_events_late_total" and dict(labels)["topic"].endswith("cx.customers")]
    assert late == [len(scenario.late)]
    assert _counted(samples) == len(scenario.valid) + len(scenario.late)
    assert samples[("cx_customer_lifetime_value", ())] > 0  # the TOML's margin applied


RATIOS = (  # ratio -> (numerator, denominator) of summed components, as the rules divide
    ("cx_customer_retention_ratio", lambda t, w: t[("cx_customers_retained", w)],
     lambda t, w: t[("cx_customers_at_start", w)]),
    ("cx_viral_coefficient", lambda t, w: t[("cx_referred_signups", w)],
     lambda t, w: t[("cx_customers_at_start", w)]),
    ("cx_complaint_upheld_ratio", lambda t, w: t[("cx_complaints_upheld", w)],
     lambda t, w: t[("cx_complaints_closed", w)]),
)


def test_two_workers_sum_and_divide_to_the_single_worker_values(
        env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        scenario: CustomerScenario, expected: dict[SampleKey, float]) -> None:
    workers = [start_worker(env), start_worker(_second(env, tmp_path))]
    for w in workers:  # both in the group before any event: no rebalance mid-way
        w.wait_for(lambda m: True, timeout=120)
    time.sleep(15)
    # Every partition in each worker's "now" before the scenario (see opening()); the
    # plain reference's numbers are the same with these signups (in no window).
    opening = customer_scenario.opening()
    _publish_lines(env, [orjson.dumps(e) for e in opening], tmp_path / "opening.jsonl")
    deadline = time.monotonic() + 120
    while sum(_counted(w.scrape()) for w in workers) < len(opening):
        assert time.monotonic() < deadline, "the opening signups were not all read"
        time.sleep(0.5)
    _publish(env, scenario, tmp_path)
    counts = {k: v for k, v in expected.items()
              if not k[0].endswith(("_ratio", "_coefficient", "_value", "_per_1000_customers"))
              and not any(n == "quantile" for n, _ in k[1])}

    deadline = time.monotonic() + 300
    while True:
        endpoints = [w.scrape() for w in workers]
        total = summed(endpoints)
        problems = mismatches({k: total.get(k, 0.0) for k in counts}, counts)
        if not problems:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"{len(problems)} differences:\n" + "\n".join(problems[:30]))
        time.sleep(1)
    assert all(_counted(e) > 0 for e in endpoints), "one worker got no customer partition"

    # Ratios from summed components; both SPEC definitions of revenue retention.
    checked = 0
    for ratio, num, den in RATIOS:
        for key, want in expected.items():
            if key[0] == ratio:
                assert abs(num(total, key[1]) / den(total, key[1]) - want) < 1e-9, key
                checked += 1
    for key, want in expected.items():
        if key[0] == "cx_revenue_retention_ratio":
            labels = dict(key[1])
            w = (("window", labels["window"]),)
            start = total[("cx_mrr_at_start", w)]
            got = ((start - total[("cx_mrr_contraction", w)]) / start if labels["kind"] == "gross"
                   else total[("cx_mrr_now_of_start", w)] / start)
            assert abs(got - want) < 1e-9, key
            checked += 1
    churn = 1 - total[("cx_customers_retained", (("window", "30d"),))] / total[
        ("cx_customers_at_start", (("window", "30d"),))]
    for key, want in expected.items():
        if key[0] == "cx_complaints_per_1000_customers":
            opened = sum(v for (n, labels), v in total.items()
                         if n == "cx_complaints_opened" and labels[1] == key[1][0])
            assert abs(1000 * opened / total[("cx_customers_active", ())] - want) < 1e-9, key
            checked += 1
    clv = total[("cx_mrr", ())] / total[("cx_customers_active", ())] * MARGIN / churn
    assert abs(clv - expected[("cx_customer_lifetime_value", ())]) < 1e-9 * clv
    assert checked > 10

    # The complaint quantiles come from the one worker that owns the team samples.
    quantiles = {k: v for k, v in expected.items() if any(n == "quantile" for n, _ in k[1])}
    assert quantiles
    deadline = time.monotonic() + 30
    while True:
        exported = [only({k: v for k, v in w.scrape().items()
                          if any(n == "quantile" for n, _ in k[1])}, SERIES) for w in workers]
        assert not exported[0].keys() & exported[1].keys(), "two workers export quantiles"
        problems = mismatches({**exported[0], **exported[1]}, quantiles)
        if not problems or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert not problems, "\n".join(problems[:30])


def test_a_sigkill_in_the_middle_of_the_replay_changes_no_final_value(
        env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        scenario: CustomerScenario, expected: dict[SampleKey, float]) -> None:
    # The rest is published only after the kill: a worker this fast would otherwise
    # reach the end before the kill lands.
    half = len(scenario.lines) // 2
    _publish_lines(env, scenario.lines[:half], tmp_path / "first.jsonl")
    worker = start_worker(env)
    at = random.uniform(0.1, 0.3) * len(scenario.lines)
    worker.wait_for(lambda m: _counted(m) > at, timeout=180)
    worker.kill()
    _publish_lines(env, scenario.lines[half:], tmp_path / "rest.jsonl")
    restarted = start_worker(env)
    restarted.wait_for(lambda m: not mismatches(only(m, SERIES), expected), timeout=300,
                       explain=_explain(expected))
