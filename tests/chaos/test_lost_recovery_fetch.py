"""A restart whose recovery loses the first fetch of every changelog partition still
ends with the exact numbers: the recovery watch reads those partitions again
(:mod:`cxpulse.streams.recovery_watch`). Without it the worker waits in recovery for
good, exporting nothing (seen once in the hand-over chaos test, 2026-12-07)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Env, Worker
from tests.integration.test_families_end_to_end import SERIES, _publish
from tests.support import mixed_scenario
from tests.support.expected import expected_metrics
from tests.support.prom import mismatches, only

pytestmark = pytest.mark.integration

GAUGES = tuple(s for s in SERIES if s != "cx_sla_breaches")


def test_a_recovery_that_loses_a_fetch_of_every_partition_still_completes_exactly(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path) -> None:
    scenario = mixed_scenario.build(seed=11, hours=1.0, rate=60.0)
    expected = only(expected_metrics(scenario), GAUGES)
    _publish(cx_env, scenario, tmp_path)
    first = start_worker(cx_env)
    first.wait_for(lambda m: not mismatches(only(m, GAUGES), expected), timeout=180)
    first.stop()

    lossy = Worker(cx_env, tmp_path, [sys.executable, "-m",
                                      "tests.support.lossy_recovery_worker"])
    try:
        lossy.wait_for(lambda m: not mismatches(only(m, GAUGES), expected), timeout=180,
                       explain=lambda m: "\n".join(mismatches(only(m, GAUGES), expected)[:10]))
        log = lossy.log.read_text(errors="replace")
        assert log.count("lost the fetch of ") >= 20  # the fault was injected …
        assert "reading them again from there" in log  # … and the watch repaired it
    finally:
        lossy.stop()
