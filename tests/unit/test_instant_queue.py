"""The instant queue pops what a heap of (instant, key) pops, in the same order."""

from __future__ import annotations

import heapq
import math
import random
import tracemalloc

from cxpulse.core.instant_queue import SPAN, InstantQueue


def test_pops_as_a_heap_does_with_pushes_between_and_during_pops() -> None:
    rng = random.Random(11)
    queue, reference = InstantQueue(), []
    now, n = 0.0, 0

    def push(instant: float) -> None:
        nonlocal n
        key = f"k{n}"
        n += 1
        queue.push(instant, key)
        heapq.heappush(reference, (instant, key))

    for _ in range(3_000):
        for _ in range(rng.randrange(4)):
            # Mostly ahead of now, some on bucket edges, some just behind now.
            instant = rng.choice([now + rng.uniform(0, 500), math.floor(now / SPAN + 3) * SPAN,
                                  math.nextafter(now, -math.inf), now + rng.uniform(0, 5)])
            push(instant)
        now += rng.choice([0.0, rng.uniform(0, 3), rng.uniform(0, 60)])
        popped = []
        for key in queue.pop_before(now):
            popped.append(key)
            if rng.random() < 0.05:  # a fired key schedules its next instant, at or after now
                push(now + rng.uniform(0, 30))
        expected = []
        while reference and reference[0][0] < now:
            expected.append(heapq.heappop(reference)[1])
        assert popped == expected
        assert len(queue) == len(reference)


def test_an_instant_a_unit_below_a_bucket_edge_comes_out_in_time() -> None:
    queue = InstantQueue()
    edge = 1_795_300_000.0 + 3 * SPAN
    below = math.nextafter(edge, -math.inf)
    queue.push(below, "a")
    assert list(queue.pop_before(below)) == []
    assert list(queue.pop_before(edge)) == ["a"]


def test_a_waiting_key_far_ahead_costs_no_tuple() -> None:
    keys = [f"T-{i}" for i in range(100_000)]
    queue = InstantQueue()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i, key in enumerate(keys):  # first-response deadlines, 4 h after 20 openings a second
        queue.push(1_795_300_000.0 + i * 0.05 + 4 * 3600.0, key)
    per_key = (tracemalloc.get_traced_memory()[0] - before) / len(keys)
    tracemalloc.stop()
    assert per_key < 24, per_key  # a heap entry took 64 B
