"""Long-lived state is kept out of the cyclic garbage collector's full collections.

A worker's state is millions of small lists, tuples and dicts (histories, views,
facts). CPython runs a full collection each time the objects that survived grow by a
quarter, and a full collection walks every tracked object: measured on a live worker
taking 5,400 new tickets/s, 24 full collections in 90 s, pauses growing to 1.65 s,
each finding 10-45 garbage objects, each blocking the event loop (the scrape that
waits for it sees numbers a pause old). A rebuild after recovery had the same
pauses, 0.5-0.9 s each for 200,000 tickets.

The state is refcounted and acyclic: whatever is dropped is freed at once, without
the collector. So what survives is moved to the permanent generation
(``gc.freeze``, the "freeze after start-up" pattern, here repeated as the state
grows): after a young collection every second, which still frees the short-lived
cycles of asyncio and aiokafka, and after a rebuild. A cycle that was alive at a
freeze and dies later would stay; a full collection over everything
(``gc.unfreeze``) once an hour bounds that, at the cost of one long pause an hour.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

FREEZE_EVERY = 1.0
"""Seconds between freezes of what survived a young collection."""
FULL_EVERY = 3600.0
"""Seconds between full collections over the frozen state too."""


@contextmanager
def collector_paused_then_frozen() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class StateFreezer:
    """Call :meth:`tick` every :data:`FREEZE_EVERY` seconds (a timer of the app)."""

    def __init__(self, full_every: float = FULL_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.full_every = full_every
        self.clock = clock
        self._last_full = clock()

    def tick(self) -> None:
        if not gc.isenabled():
            # A rebuild is under way (collector_paused_then_frozen): everything it
            # allocated is still young, and it freezes all of it when it ends.
            return
        now = self.clock()
        if now - self._last_full >= self.full_every:
            self._last_full = now
            gc.unfreeze()
            gc.collect()
        else:
            gc.collect(1)
        gc.freeze()
