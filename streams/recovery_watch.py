"""A changelog partition whose recovery stopped moving is read again from where it is.

Faust's recovery waits until every active changelog partition is read to its
highwater, and nothing else moves it: if the records it needs were fetched and
then dropped, it waits for good. That happened once in the hand-over chaos test
(2026-12-07, static membership): the survivor of a SIGKILL, which had read the dead
worker's partitions as standbys, sought them to their start when they became
active, logged "Resuming flow", and read nothing of them for five minutes, exporting
nothing, until the test killed it. A rerun of the same seed passed. The likeliest
path: a fetch under way across the rebalance brought the first records of that seek
while the flow was still stopped, and the fetch loop dropped them
(:mod:`streams.batches` leaves what a rebalance interrupts to the seek after it; here
that seek had already happened), with the consumer's position already past them.

So a loop watches every recovery, the first one at start-up included (Faust starts
an app's timers only once that one completed): an active partition below its
highwater whose offset has not moved for :data:`STALL_SECONDS` is sought to that
offset again, as recovery itself seeks (the last record read, read again; 0 when
none). Reading a record twice is harmless: the restore skips what recovery already
applied. Kafka Streams' restore consumer checks its position against the end the
same way rather than trusting one fetch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

CHECK_EVERY = 5.0
"""Seconds between two looks at the recovery."""
STALL_SECONDS = 15.0
"""How long an active changelog partition may stay below its highwater without one
record read before it is sought again. Far above a fetch's round trip (a busy
recovery reads each partition within a second or two), far below the minutes an
operator would wait."""


class RecoveryWatch:
    """:meth:`install` runs :meth:`tick` every :data:`CHECK_EVERY` seconds."""

    def __init__(self, app: Any, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self._since: dict[Any, tuple[int, float]] = {}
        """tp -> (its recovery offset, when it was first seen there)."""
        self._running = False

    def install(self) -> None:
        """Start watching at the first assignment, before the first recovery."""
        async def on_assigned(*_: Any, **__: Any) -> None:
            if not self._running:
                self._running = True
                self.app.add_future(self._run())

        self.app.on_partitions_assigned.connect(on_assigned, weak=False)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(CHECK_EVERY)
            try:
                await self.tick()
            except Exception:  # a failed seek is tried again at the next look
                log.exception("the recovery watch failed")

    def stalled(self) -> dict[Any, int]:
        """Active partitions stuck below their highwater, each with the offset to seek."""
        recovery = self.app.tables.recovery
        if not recovery.in_recovery:
            self._since.clear()
            return {}
        now = self.clock()
        out: dict[Any, int] = {}
        for tp, highwater in list(recovery.active_highwaters.items()):
            offset = recovery.active_offsets.get(tp)
            offset = -1 if offset is None else offset
            if highwater is None or offset >= highwater:
                self._since.pop(tp, None)
                continue
            before = self._since.get(tp)
            if before is None or before[0] != offset:
                self._since[tp] = (offset, now)
            elif now - before[1] >= STALL_SECONDS:
                out[tp] = max(offset, 0)
                self._since[tp] = (offset, now)  # as long again before the next seek
        for tp in set(self._since) - set(recovery.active_highwaters):
            del self._since[tp]
        return out

    async def tick(self) -> None:
        stalled = self.stalled()
        if not stalled:
            return
        consumer = self.app.consumer
        assigned = consumer.assignment()
        stalled = {tp: offset for tp, offset in stalled.items() if tp in assigned}
        if not stalled:
            return
        log.warning("recovery read nothing of %d changelog partition(s) for %.0f s below "
                    "their highwater (e.g. %s at %d): reading them again from there",
                    len(stalled), STALL_SECONDS, *next(iter(stalled.items())))
        for tp in stalled:
            consumer._read_offset[tp] = None  # the fetch loop takes what the seek reads
        await consumer.seek_wait(stalled)
