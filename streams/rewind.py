"""After a rebalance, read partitions that nobody has committed from their beginning.

Faust throws away records it fetched while a rebalance was under way, then
relies on seeking every partition back to its committed offset to read them
again (``Consumer.perform_seek``). A partition nothing has committed yet has no
committed offset, so aiokafka's ``seek_to_committed`` leaves its position where
the discarded records ended, and they are never processed. We saw this when a
worker was killed before its first commit: the survivor took its partitions over
and never counted their events (``tests/chaos/test_kill_restart.py``). Reading
such a partition from its beginning is what ``auto_offset_reset=earliest``
promises, and it is safe: every family applies an event twice without effect.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

import faust

log = logging.getLogger(__name__)


def rewind_uncommitted(app: faust.App, topics: Collection[str]) -> None:
    """Make the app's seek-to-committed also rewind never-committed ``topics`` partitions."""
    consumer = app.consumer
    seek_to_committed = consumer.perform_seek

    async def perform_seek() -> None:
        await seek_to_committed()
        committed = consumer._committed_offset  # type: ignore[attr-defined]
        fresh = [tp for tp in consumer.assignment()
                 if tp.topic in topics and not committed.get(tp)]
        if fresh:
            log.info("Reading %d partitions without a committed offset from their beginning",
                     len(fresh))
            for tp, offset in (await consumer.earliest_offsets(*fresh)).items():
                await consumer.seek(tp, offset)

    consumer.perform_seek = perform_seek  # type: ignore[method-assign]
