"""Stop the broker for 60 s mid-stream and start it again: the end state is exact.

The test runs its own broker (the shared one must stay up for the other tests).
Half of a mixed scenario is published, a worker starts on it, and while the
worker is busy the broker is stopped. For 60 s the worker must keep answering
``/metrics`` and say ``cx_kafka_up 0``; then the broker comes back on the same
port and data, the rest is published, and the worker, never restarted, must end
with every family series equal to the naive references and ``cx_kafka_up 1``.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxpulse.families import broker_topics
from tests.chaos.test_kill_restart import explain
from tests.integration.conftest import Env, Worker, _create_topics, cxpulse, free_port
from tests.integration.test_families_end_to_end import SERIES
from tests.support import mixed_scenario
from tests.support.expected import expected_metrics
from tests.support.prom import SampleKey, mismatches, only

pytestmark = pytest.mark.integration

GAUGES = tuple(s for s in SERIES if s != "cx_sla_breaches")
OUTAGE = 60.0


class OwnBroker:
    """A ``cxpulse broker`` this test may stop and start again on the same port and data."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port(2)
        self.data_dir = data_dir
        self.proc: subprocess.Popen[str] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            cxpulse("broker", "--port", str(self.port), "--data-dir", str(self.data_dir)),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert self.proc.stdout is not None
        seen = []
        for line in self.proc.stdout:
            seen.append(line)
            if "broker ready" in line:
                return
        pytest.fail("the test's own broker did not start:\n" + "".join(seen[-20:]))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    broker = OwnBroker(tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()


def _publish(env: Env, lines: list[bytes], path: Path) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")
    published = env.run("publish", str(path))
    assert published.returncode == 0, published.stderr


def _value(samples: dict[SampleKey, float], name: str) -> float | None:
    return samples.get((name, ()))


def test_a_sixty_second_broker_outage_mid_stream_changes_nothing(
        own_broker: OwnBroker, start_worker: Callable[[Env], Worker], tmp_path: Path) -> None:
    seed = int(os.environ.get("CXPULSE_CHAOS_SEED", random.randrange(2**32)))
    print(f"chaos seed {seed} (CXPULSE_CHAOS_SEED={seed} replays this run)")
    scenario = mixed_scenario.build(seed=seed % 1000, hours=2.0, rate=150.0)
    expected = only(expected_metrics(scenario), GAUGES)
    prefix = f"o{seed % 10**6}."
    asyncio.run(_create_topics(own_broker.bootstrap, broker_topics(prefix), 6))
    env = Env({"CXPULSE_KAFKA_BOOTSTRAP": own_broker.bootstrap, "CXPULSE_TOPIC_PREFIX": prefix,
               "CXPULSE_APP_ID": f"cxpulse-outage-{seed}", "CXPULSE_CLOCK": "replay",
               "CXPULSE_METRICS_PORT": str(free_port()), "CXPULSE_WEB_PORT": str(free_port()),
               "CXPULSE_DATA_DIR": str(tmp_path / "worker"), "CXPULSE_LOG_LEVEL": "info"})
    half = len(scenario.lines) // 2
    _publish(env, scenario.lines[:half], tmp_path / "first.jsonl")

    worker = start_worker(env)
    worker.wait_for(lambda m: sum(v for (n, _), v in m.items() if n == "cx_events_total") > 0,
                    timeout=180)
    assert _value(worker.scrape(), "cx_kafka_up") == 1
    own_broker.stop()
    stopped = time.monotonic()
    # Kafka away: /metrics still answers, with the last values and cx_kafka_up 0.
    down = worker.wait_for(lambda m: _value(m, "cx_kafka_up") == 0, timeout=30)
    assert _value(down, "cx_kafka_outages_total") == 1
    while time.monotonic() - stopped < OUTAGE:
        assert _value(worker.scrape(), "cx_kafka_up") == 0
        time.sleep(2)
    own_broker.start()
    print(f"broker back after {time.monotonic() - stopped:.0f} s", flush=True)

    _publish(env, scenario.lines[half:], tmp_path / "second.jsonl")
    final = worker.wait_for(lambda m: not mismatches(only(m, GAUGES), expected), timeout=300,
                            explain=explain(expected))
    assert _value(final, "cx_kafka_up") == 1
    assert _value(final, "cx_kafka_outages_total") == 1
    # Counters are exact too: the worker was never restarted, so nothing is counted twice.
    accepted = sum(v for (n, _), v in final.items() if n == "cx_events_total")
    assert accepted == len(scenario.valid)


def test_sigterm_with_the_broker_down_stops_the_worker_within_30_seconds(
        own_broker: OwnBroker, start_worker: Callable[[Env], Worker], tmp_path: Path) -> None:
    scenario = mixed_scenario.build(seed=3, hours=0.5, rate=100.0)
    prefix = "sigterm."
    asyncio.run(_create_topics(own_broker.bootstrap, broker_topics(prefix), 6))
    env = Env({"CXPULSE_KAFKA_BOOTSTRAP": own_broker.bootstrap, "CXPULSE_TOPIC_PREFIX": prefix,
               "CXPULSE_APP_ID": "cxpulse-sigterm", "CXPULSE_CLOCK": "replay",
               "CXPULSE_METRICS_PORT": str(free_port()), "CXPULSE_WEB_PORT": str(free_port()),
               "CXPULSE_DATA_DIR": str(tmp_path / "worker"), "CXPULSE_LOG_LEVEL": "info"})
    _publish(env, scenario.lines, tmp_path / "events.jsonl")
    worker = start_worker(env)
    worker.wait_for(lambda m: sum(v for (n, _), v in m.items() if n == "cx_events_total") > 0,
                    timeout=180)
    own_broker.stop()
    worker.wait_for(lambda m: _value(m, "cx_kafka_up") == 0, timeout=30)
    asked = time.monotonic()
    worker.proc.send_signal(signal.SIGTERM)
    try:
        worker.proc.wait(timeout=40)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker still ran 40 s after SIGTERM:\n" + worker.tail())
    took = time.monotonic() - asked
    print(f"stopped {took:.1f} s after SIGTERM, exit {worker.proc.returncode}")
    assert took <= 30.0, worker.tail()
