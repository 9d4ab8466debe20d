"""Read again the offsets the group consumer skipped (:mod:`cxpulse.core.offsets`).

A plain aiokafka consumer without a group assigns the one partition, seeks to the
range's start and reads to its end: it moves no committed offset and takes no
partition from anyone. Seeking the group consumer back instead would race Faust's
fetch loop, which drops any message below its own read offset.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from cxpulse.config import Settings

log = logging.getLogger(__name__)

READ_TIMEOUT = 15.0
"""Seconds one range may take; a range not read by then is tried again later."""
RETRY_AFTER = 30.0


class GapReader:
    """Reads skipped offset ranges of one topic, at most once per :data:`RETRY_AFTER`
    for a range that could not be read."""

    def __init__(self, settings: Settings, topic: str) -> None:
        self.settings = settings
        self.topic = topic
        self._failed: dict[tuple[int, int, int], float] = {}
        """(partition, lo, hi) -> monotonic time of the failed read."""
        self._consumer: AIOKafkaConsumer | None = None

    def due(self, partition: int, lo: int, hi: int) -> bool:
        failed = self._failed.get((partition, lo, hi))
        return failed is None or time.monotonic() - failed > RETRY_AFTER

    async def read(self, partition: int, lo: int, hi: int) -> list[ConsumerRecord] | None:
        """The records at offsets ``lo..hi`` that exist, or None when the read failed."""
        log.warning("%s[%d]: offsets %d..%d were skipped by the consumer; reading them",
                    self.topic, partition, lo, hi)
        tp = TopicPartition(self.topic, partition)
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                consumer = await self._started()
                consumer.assign([tp])
                consumer.seek(tp, lo)
                records: list[ConsumerRecord] = []
                empty = 0
                while await consumer.position(tp) <= hi:
                    fetched = (await consumer.getmany(tp, timeout_ms=300)).get(tp, [])
                    records += [r for r in fetched if lo <= r.offset <= hi]
                    empty = 0 if fetched else empty + 1
                    if empty >= 3 and (await consumer.end_offsets([tp]))[tp] <= hi + 1:
                        break  # the range ends the log and what is left holds no record
            self._failed.pop((partition, lo, hi), None)
            return records
        except (TimeoutError, OSError, KafkaError) as exc:
            log.warning("%s[%d]: reading offsets %d..%d failed (%s); trying again in %.0f s",
                        self.topic, partition, lo, hi, type(exc).__name__, RETRY_AFTER)
            self._failed[(partition, lo, hi)] = time.monotonic()
            await self.close()
            return None

    async def _started(self) -> AIOKafkaConsumer:
        """One consumer, kept between reads: a producer writing transactions leaves a
        one-offset marker range after each, so reads can be frequent."""
        if self._consumer is None:
            consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap,
                                        enable_auto_commit=False, group_id=None,
                                        auto_offset_reset="earliest",
                                        **self.settings.kafka_security.aiokafka_kwargs())
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def close(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()
