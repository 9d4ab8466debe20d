"""The benchmark runs end to end at a tiny size and produces its numbers and picture."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from bench.__main__ import main

# Part of `make test`; `make bench-smoke` runs it alone.
pytestmark = [pytest.mark.integration, pytest.mark.bench]


def test_the_bench_produces_numbers_and_a_plot(tmp_path: Path) -> None:
    assert main(["--events", "1500", "--repeat", "1", "--latency-seconds", "4",
                 "--memory-items", "5000", "--catchup-outage", "5", "--restart-entities", "300",
                 "--peer", "faust",
                 "--out", str(tmp_path)]) == 0
    table = (tmp_path / "results.md").read_text()
    for measure in ("baseline", "cxpulse worker", "ratio", "latency p50", "latency p99",
                    "open tickets", "daily users", "sessions", "two workers", "peer: bare Faust",
                    "catch-up after a 5 s outage", "restart after SIGKILL with 300"):
        assert measure in table, table
    records = float(re.search(r"changelog records per event \(median\) \| ([\d.]+)",  # type: ignore[union-attr]
                              table).group(1))
    assert records > 0
    ratio = float(re.search(r"ratio worker / baseline \| ([\d.]+)", table).group(1))  # type: ignore[union-attr]
    assert ratio > 0
    faust = float(re.search(r"peer: bare Faust.*\| ([\d,]+) events/s, ratio",  # type: ignore[union-attr]
                            table).group(1).replace(",", ""))
    assert faust > 0
    sketch = re.search(r"7d / 28d from sketches, 5,000 users \| 7d: ([\d,]+) for ([\d,]+)", table)
    assert sketch is not None, table
    assert int(sketch.group(2).replace(",", "")) > 1000
    assert "faust peer" in table and "quix" not in table  # the Quix peer stays out of CI
    latency = orjson.loads((tmp_path / "latency.json").read_bytes())
    assert latency["rate"] > 0 and latency["ms_per_scrape"] and all(
        ms > 0 for ms in latency["ms_per_scrape"])
    png = (tmp_path / "results.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
