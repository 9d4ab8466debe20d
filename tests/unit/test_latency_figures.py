"""The latency row's figure per scrape (bench/latency.py), on a made-up run."""

from __future__ import annotations

import pytest

from bench.latency import latencies


def test_each_scrape_reads_the_age_of_the_newest_probe_it_shows() -> None:
    sent = [10.0 + n / 100 for n in range(300)]  # 100 probes/s for 3 s
    # The worker lags 0.2 s: a scrape at t shows the probes sent up to t - 0.2.
    frontier = [(t, sum(1 for s in sent if s <= t - 0.2)) for t in (11.0, 12.0, 13.0)]
    assert latencies(frontier, sent) == pytest.approx([200.0, 200.0, 200.0], abs=10.0)


def test_the_scrape_that_shows_every_probe_does_not_count() -> None:
    # The last probe (sent at 12.99) was visible by 13.4, but the next scrape comes at
    # 14.0: its age then (1,010 ms) is mostly the scrape interval, not the lag.
    sent = [10.0 + n / 100 for n in range(300)]
    frontier = [(11.0, 81), (12.0, 181), (13.0, 261), (14.0, 300)]
    figures = latencies(frontier, sent)
    assert len(figures) == 3
    assert figures[:2] == pytest.approx([200.0, 200.0], abs=10.0)
    assert figures[2] == pytest.approx(400.0, abs=10.0)  # a lag at 13.0: counted
