"""Surviving state is frozen out of full collections; an hourly full one frees old cycles."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from cxpulse.gc_pause import StateFreezer


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.collect()
    yield
    gc.unfreeze()


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_young_cycles_are_freed_before_a_freeze_and_frozen_ones_at_the_full_collection() -> None:
    now = [0.0]
    freezer = StateFreezer(full_every=3600.0, clock=lambda: now[0])
    dead_young = cycle()  # garbage already: the young collection before the freeze frees it
    kept = Node()
    kept.other = Node()
    kept.other.other = kept  # alive at the freeze
    freezer.tick()
    assert dead_young() is None
    assert gc.get_freeze_count() > 0
    frozen = weakref.ref(kept)
    del kept
    now[0] = 1.0
    freezer.tick()
    gc.collect()  # even a full collection skips the permanent generation
    assert frozen() is not None
    now[0] = 3600.0
    freezer.tick()  # the hourly one looks at everything
    assert frozen() is None
