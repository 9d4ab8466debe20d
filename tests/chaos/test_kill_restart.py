"""SIGKILL the worker again and again during a replay; the end state is exact.

Ten kills at random moments (seeded; set CXPULSE_CHAOS_SEED to replay a failure),
each followed by a restart. When the last worker has caught up, every family
series equals the naive references' value, as for an uninterrupted run. Counters
(cx_events_*, cx_sla_breaches_total) restart at zero by design and are left out.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Env, Worker, free_port
from tests.integration.test_families_end_to_end import SERIES, _publish
from tests.support import mixed_scenario
from tests.support.expected import expected_metrics
from tests.support.prom import SampleKey, mismatches, only

pytestmark = pytest.mark.integration

GAUGES = tuple(s for s in SERIES if s != "cx_sla_breaches")
KILLS = 10


def explain(expected: dict[SampleKey, float]) -> Callable[[dict[SampleKey, float]], str]:
    """What a failure report needs: how far the worker got, what still differs."""
    def describe(samples: dict[SampleKey, float]) -> str:
        counted = sum(v for (n, _), v in samples.items() if n == "cx_events_total")
        marks = {dict(k[1]).get("topic"): v for k, v in samples.items()
                 if k[0] == "cx_watermark_seconds"}
        wrong = mismatches(only(samples, GAUGES), expected)
        return (f"{counted:.0f} events counted by this process; watermarks {marks}; "
                f"{len(wrong)} series differ, e.g.\n" + "\n".join(wrong[:15]))
    return describe


# With an instance id (static membership, KIP-345), a restarted worker takes its
# partitions back without a rebalance: the same exact end state is expected.
@pytest.mark.parametrize("instance_id", [None, "worker-0"], ids=["dynamic", "static"])
def test_ten_sigkills_during_a_replay_change_nothing(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        instance_id: str | None) -> None:
    if instance_id is not None:
        cx_env = Env({**cx_env.vars, "CXPULSE_INSTANCE_ID": instance_id})
    seed = int(os.environ.get("CXPULSE_CHAOS_SEED", random.randrange(2**32)))
    print(f"chaos seed {seed} (CXPULSE_CHAOS_SEED={seed} replays this run)")
    rng = random.Random(seed)
    # About 40k events: a worker replays 2-4k events/s, so ten short lives (each
    # killed within a second of its first counted event) stop before the end.
    scenario = mixed_scenario.build(seed=seed % 1000, hours=14.0, rate=150.0)
    expected = only(expected_metrics(scenario), GAUGES)
    _publish(cx_env, scenario, tmp_path)

    def counted(samples: dict[SampleKey, float]) -> float:
        return sum(v for (name, _), v in samples.items() if name == "cx_events_total")

    worker = start_worker(cx_env)
    for kill in range(KILLS):
        # Kill while it works: once it has counted events, at a random moment after.
        # A life that starts after the last one applied every event (but had not
        # committed) only reads duplicates and counts nothing: then it is done.
        worker.wait_for(lambda m: counted(m) > 0 or not mismatches(only(m, GAUGES), expected),
                        timeout=180, explain=explain(expected))
        time.sleep(rng.uniform(0.0, 1.0))
        samples = worker.scrape()
        if not mismatches(only(samples, GAUGES), expected):
            break  # already at the end: nothing left to interrupt
        worker.kill()
        print(f"kill {kill + 1}: after {counted(samples):.0f} events of this process",
              flush=True)
        worker = start_worker(cx_env)
    worker.wait_for(lambda m: not mismatches(only(m, GAUGES), expected), timeout=300,
                    explain=explain(expected))


# CXPULSE_CHAOS_SEED=538766505 killed the first worker before its first commit; the
# survivor then skipped the events of the partitions it took over, until
# streams/rewind.py.
@pytest.mark.parametrize("instance_ids", [None, ("worker-a", "worker-b")],
                         ids=["dynamic", "static"])
def test_a_worker_killed_mid_stream_hands_its_partitions_over_exactly(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        instance_ids: tuple[str, str] | None) -> None:
    seed = int(os.environ.get("CXPULSE_CHAOS_SEED", random.randrange(2**32)))
    print(f"chaos seed {seed} (CXPULSE_CHAOS_SEED={seed} replays this run)")
    rng = random.Random(seed)
    scenario = mixed_scenario.build(seed=seed % 1000, hours=2.0, rate=120.0)
    expected = only(expected_metrics(scenario), GAUGES)
    second = Env({**cx_env.vars, "CXPULSE_METRICS_PORT": str(free_port()),
                  "CXPULSE_WEB_PORT": str(free_port()),
                  "CXPULSE_DATA_DIR": str(tmp_path / "worker-2")})
    if instance_ids is not None:  # a static member's partitions move after its timeout too
        cx_env = Env({**cx_env.vars, "CXPULSE_INSTANCE_ID": instance_ids[0]})
        second = Env({**second.vars, "CXPULSE_INSTANCE_ID": instance_ids[1]})
    doomed, survivor = start_worker(cx_env), start_worker(second)
    for w in (doomed, survivor):
        w.wait_for(lambda m: True, timeout=120)
    time.sleep(15)  # both in the group before the events arrive
    _publish(cx_env, scenario, tmp_path)

    doomed.wait_for(lambda m: sum(v for (n, _), v in m.items() if n == "cx_events_total") > 0,
                    timeout=180)
    time.sleep(rng.uniform(0.0, 3.0))
    doomed.kill()
    # The survivor takes the partitions and their tables over after the session
    # timeout and ends with every number of a single uninterrupted worker.
    survivor.wait_for(lambda m: not mismatches(only(m, GAUGES), expected), timeout=300,
                      explain=explain(expected))
