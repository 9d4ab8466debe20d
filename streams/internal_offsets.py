"""Offsets an internal agent applied, and what the consumer skipped, read again in order.

The agents behind the internal topics (team samples, contact answers) replace state
per key, so what matters is that each key ends with its last message in log order.
Faust can skip a message around a rebalance (docs/operations.md, "Offsets the consumer
skipped"): an offset above ``applied + 1`` opens a missing range, as for the families
(:mod:`cxpulse.core.offsets`). Here the repair reads from the first missing offset to
the last applied one and applies all of it again in log order, so a skipped message
never overwrites a later one of the same key. The applied offsets live in a table of
their own, co-partitioned with the topic, so a restarted or new owner finds the ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust
from aiokafka.structs import ConsumerRecord

from cxpulse.config import Settings
from cxpulse.core.offsets import AppliedOffsets
from cxpulse.streams.app import json_table_schema
from cxpulse.streams.changelog import DeferredChangelog
from cxpulse.streams.gap_repair import GapReader


class InternalOffsets:
    """``apply(key, value)`` is the agent's own handling of one message."""

    def __init__(self, app: faust.App, settings: Settings, topic: Any, name: str,
                 partitions: int, apply: Callable[[bytes, bytes, int], None]) -> None:
        table = app.Table(f"{name}-offsets", partitions=partitions, schema=json_table_schema())
        self.table = DeferredChangelog(table)
        self.topic = topic
        self.settings = settings
        self.apply = apply
        self.offsets = AppliedOffsets()
        self._reader: GapReader | None = None

    def note(self, partition: int, offset: int) -> None:
        if self.offsets.note(partition, offset):
            self.table.put(str(partition), self.offsets.record(partition), partition)

    def load(self, partitions: set[int]) -> None:
        """After a recovery: the owned partitions' applied offsets and missing ranges."""
        self.offsets.reset()
        for partition in partitions:
            record = self.table.get(str(partition))
            if record:
                self.offsets.load(partition, record)

    async def repair(self, owned: set[int]) -> int:
        """Apply again, in log order, every owned partition from its first missing
        offset to its last applied one; the messages applied."""
        applied = 0
        for partition, ranges in list(self.offsets.missing.items()):
            if partition not in owned or not ranges:
                continue
            reader = self._reader or GapReader(self.settings, self.topic.get_topic_name())
            self._reader = reader
            lo, hi = min(r[0] for r in ranges), self.offsets.applied[partition]
            if not reader.due(partition, lo, hi):
                continue
            records: list[ConsumerRecord] | None = await reader.read(partition, lo, hi)
            if records is None or partition not in owned:
                continue
            for record in records:
                self.apply(record.key, record.value, partition)
            applied += len(records)
            self.offsets.clear(partition, lo, hi)
            self.table.put(str(partition), self.offsets.record(partition), partition)
        return applied

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
