"""The replay "now": min over partitions of their max event time, never moving back."""

from __future__ import annotations

import random

import orjson

from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.watermark import Watermark
from tests.support.scenario import ev


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


def test_the_dedupe_ids_give_every_partition_its_watermark_back() -> None:
    """No watermark table: after a recovery the remembered ids carry the maxima."""
    rng = random.Random(5)
    seen: dict[str, object] = {}
    live = Admission("cx.surveys", IngestStats(), seen, replay_clock=True, dedupe_horizon=600.0)
    for n in range(3000):  # 5 h on 3 partitions, out of order: most ids expire on the way
        partition = rng.randrange(3)
        t = 1_795_300_000.0 + n * 6 + rng.uniform(-900, 0) * (partition == 2)
        live.admit(orjson.dumps(ev(f"e{n}", "survey.answered", t, survey="csat", score=4,
                                   customer_id="C", channel="web")), partition)
        live.expire(partition)
    assert sum(len(chunk) for chunk in seen.values()) < 500  # ~1.25 horizons of ids
    recovered = Admission("cx.surveys", IngestStats(), dict(seen), replay_clock=True,
                          dedupe_horizon=600.0)
    recovered.rebuild({0, 1, 2})
    assert recovered.watermark.partition_max == live.watermark.partition_max
    assert recovered.now() == live.now()
