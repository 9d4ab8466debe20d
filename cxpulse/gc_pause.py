"""Recovered state is frozen out of the cyclic garbage collector.

A rebuild after recovery allocates an object graph per entity (10^6 histories:
millions of lists and tuples). CPython's full collections then walk all of it:
measured here, single pauses of 0.5-0.9 s during a 200,000-ticket rebuild, every
one blocking the event loop (probes, scrapes, the group's heartbeats). The state is
refcounted and acyclic, so the collector is paused while it is built and the result
is moved to the permanent generation (``gc.freeze``, the "freeze after start-up"
pattern): later collections walk only what is new.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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
