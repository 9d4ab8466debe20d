"""The replay "now": min over partitions of their max event time, never moving back."""

from __future__ import annotations

from cxpulse.core.watermark import Watermark


def test_min_over_partitions_of_the_max() -> None:
    w = Watermark()
    assert w.value() is None
    w.observe(0, 100.0)
    w.observe(0, 90.0)  # out of order inside a partition: the max stays
    assert w.value() == 100.0
    w.observe(1, 150.0)
    assert w.value() == 100.0
    w.observe(0, 200.0)
    assert w.value() == 150.0


def test_a_late_partition_cannot_pull_now_back() -> None:
    w = Watermark()
    w.observe(0, 500.0)
    assert w.value() == 500.0
    w.observe(3, 100.0)  # first event of another partition, much older
    assert w.value() == 500.0
    w.observe(3, 700.0)
    w.observe(0, 800.0)
    assert w.value() == 700.0
