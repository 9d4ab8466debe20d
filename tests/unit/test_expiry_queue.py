"""The expiry queue's buckets: a key comes out once, after its due time, and at most
one bucket (GRAIN seconds of event time) late."""

from __future__ import annotations

import math
import random
import tracemalloc

from cxpulse.core.expiry import GRAIN, ExpiryQueue


def test_every_key_comes_out_once_after_its_due_and_within_a_grain() -> None:
    rng = random.Random(7)
    queue = ExpiryQueue()
    due = {f"k{i}": rng.uniform(0.0, 5_000.0) for i in range(5_000)}
    for key, at in due.items():
        queue.push(hash(key) % 3, at, key)
    out: dict[str, float] = {}
    now = -1.0
    while now < 5_100.0:
        now += rng.uniform(0.0, 7.0)
        for partition in range(3):
            for key in queue.pop_due(partition, now):
                assert key not in out
                out[key] = now
    assert out.keys() == due.keys()
    for key, popped in out.items():
        assert due[key] < popped, key  # never early
        # Out at the first call after its bucket ended (calls come at most 7 s apart).
        assert popped - due[key] <= GRAIN + 7.0, key
        end = math.ceil(due[key] / GRAIN) * GRAIN
        assert popped > end


def test_a_key_pushed_again_in_its_bucket_is_queued_once() -> None:
    queue = ExpiryQueue()
    for t in (100.5, 101.0, 102.0):  # three events of one entity, one bucket
        queue.push(0, t, "a")
    queue.push(0, 103.0, "b")
    queue.push(0, 104.0, "a")  # after another key: queued again, the caller re-checks
    assert queue.pop_due(0, 200.0) == ["a", "b", "a"]
    assert queue.pop_due(0, 300.0) == []


def test_a_key_never_due_is_not_queued() -> None:
    queue = ExpiryQueue()
    queue.push(0, math.inf, "kept for good")
    assert queue.pop_due(0, 1e18) == []


def test_a_queued_key_costs_a_list_slot_not_a_heap_entry() -> None:
    keys = [f"T-{i}" for i in range(100_000)]
    queue = ExpiryQueue()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i, key in enumerate(keys):  # 20 keys a second over 6 partitions, as bench.memory
        queue.push(i % 6, 1_795_300_000.0 + i * 0.05 + 7 * 86400.0, key)
    per_key = (tracemalloc.get_traced_memory()[0] - before) / len(keys)
    tracemalloc.stop()
    assert per_key < 24, per_key  # a (due, key) heap entry took 88 B
