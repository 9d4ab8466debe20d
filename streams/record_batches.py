"""Records handed to the Kafka client a record batch per partition, not one at a time.

aiokafka's ``send`` costs a coroutine, a future, a metadata lookup and a partition
check per record: 5.4 µs on this machine, against 0.8 µs for a record appended to a
batch from ``create_batch`` and handed over with ``send_batch`` (200,000 records of
the size of a ticket's changelog record, in flushes of 860 over 6 partitions). The
batch goes through the same accumulator, so the producer's ``flush``, which Faust
awaits before every commit, covers it as it covers single records.
"""

from __future__ import annotations

import asyncio
from typing import Any


class PartitionBatches:
    """One open batch per partition of ``topic``; a full one is sent at once, the rest
    by :meth:`send`."""

    __slots__ = ("_open", "producer", "sent", "topic")

    def __init__(self, producer: Any, topic: str) -> None:
        self.producer = producer
        """aiokafka's producer (:func:`kafka_client`)."""
        self.topic = topic
        self._open: dict[int, Any] = {}
        self.sent: dict[int, tuple[asyncio.Future[Any], int]] = {}
        """partition -> the client's future for its newest batch (it resolves to the
        batch's first offset) and its last record's place in that batch."""

    async def append(self, partition: int, key: bytes, value: bytes | None) -> None:
        batch = self._open.get(partition)
        if batch is None:
            batch = self._open[partition] = self.producer.create_batch()
        if batch.append(key=key, value=value, timestamp=None) is None:
            # Full (a batch takes its first record whatever its size): send it.
            await self._send(partition, batch)
            batch = self._open[partition] = self.producer.create_batch()
            batch.append(key=key, value=value, timestamp=None)

    async def send(self) -> None:
        """Hand every open batch to the client."""
        batches, self._open = self._open, {}
        for partition, batch in batches.items():
            await self._send(partition, batch)

    async def _send(self, partition: int, batch: Any) -> None:
        records = batch.record_count()
        batch.close()  # nothing else joins it: its last record stays ``records - 1``
        future = await self.producer.send_batch(batch, self.topic, partition=partition)
        self.sent[partition] = (future, records - 1)


def kafka_client(app: Any) -> Any:
    """The aiokafka producer inside Faust's (started with the app)."""
    return app.producer._ensure_producer()
