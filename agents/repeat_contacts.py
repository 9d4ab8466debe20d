"""Repeat contacts over Kafka: contacts agents send answers keyed by customer_id to an
internal topic partitioned like the others; the worker owning a customer's partition
keeps its answers in a changelog-backed table (:mod:`cxpulse.core.repeat_contacts`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import faust
import orjson
from aiokafka.partitioner import DefaultPartitioner

from cxpulse.config import Settings
from cxpulse.core.contacts import ContactArithmetic
from cxpulse.core.repeat_contacts import RepeatContacts, in_time_order
from cxpulse.streams.app import assigned_partitions, json_table_schema
from cxpulse.streams.batches import BatchRoutes
from cxpulse.streams.changelog import DeferredChangelog
from cxpulse.streams.internal_offsets import InternalOffsets
from cxpulse.streams.record_batches import PartitionBatches, kafka_client

_PARTITIONER = DefaultPartitioner()
"""Kafka's default partitioner for keyed records, as Faust's keyed send uses it."""


class RepeatContactAgent:
    """The answers topic and its owner's table and agent, and :meth:`forward` for the
    contacts agent."""

    def __init__(self, app: faust.App, settings: Settings, arithmetic: ContactArithmetic,
                 now: Callable[[], float | None]) -> None:
        self.app = app
        self.arithmetic = arithmetic
        self.now = now
        """The contacts family's "now" on this worker: the repeats' windows end there."""
        self.topic = app.topic(f"{settings.app_id}-contact-answers",
                               partitions=settings.partitions, internal=True,
                               key_serializer="raw", value_serializer="raw")
        table = app.Table("contact-answers", partitions=settings.partitions,
                          schema=json_table_schema())
        self.table = DeferredChangelog(table)
        self.repeats = RepeatContacts(self.table, settings.contacts.repeat_window)
        arithmetic.repeats = self.repeats
        self.offsets = InternalOffsets(app, settings, self.topic, "contact-answers",
                                       settings.partitions, self._apply)
        self._sending = asyncio.Lock()
        self.routes = BatchRoutes.of(app)
        self.routes.route(self.topic.get_topic_name())
        app.agent(self.topic, name="contact-answers")(self._process)
        table.on_recover(self._rebuild)
        app.on_partitions_revoked.connect(self._on_revoked, weak=False)  # type: ignore[arg-type]

    async def forward(self) -> None:
        """Send the contacts' changed answers, in order (one sender at a time: the
        agent's batches and the timer both call this)."""
        async with self._sending:
            answers, self.arithmetic.answers = self.arithmetic.answers, []
            if not answers:
                return
            # Partitioned as Faust's own send would (the client's default, murmur2), a
            # batch per partition: Faust's per-record path was 5 % of a busy worker.
            topic = self.topic.get_topic_name()
            producer = kafka_client(self.app)
            partitions = sorted(await producer.partitions_for(topic))
            batches = PartitionBatches(producer, topic)
            for customer, contact, answered, channel in in_time_order(answers):
                key = customer.encode()
                await batches.append(_PARTITIONER(key, partitions, partitions), key,
                                     orjson.dumps([contact, answered, channel]))
            await batches.send()

    def owned(self) -> set[int]:
        return assigned_partitions(self.app, self.topic.get_topic_name())

    def _apply(self, key: bytes, value: bytes, partition: int) -> None:
        self.table.partition = partition
        contact, answered, channel = orjson.loads(value)
        self.repeats.receive(key.decode(), contact, answered, channel, partition)

    async def _process(self, _stream: Any) -> None:
        try:
            async for batch in self.routes.batches(self.topic.get_topic_name()):
                touched = set()
                for message in batch.records:
                    self._apply(message.key, message.value, message.partition)
                    self.offsets.note(message.partition, message.offset)
                    touched.add(message.partition)
                if self.offsets.offsets.missing:
                    await self.offsets.repair(self.owned())
                now = self.now()
                if now is not None:
                    for partition in touched:
                        self.table.partition = partition
                        self.repeats.expire(partition, now)
                await self.table.flush()
                await self.offsets.table.flush()
                self.routes.ack(batch)
        finally:
            await self.offsets.close()

    async def _rebuild(self) -> None:
        owned = self.owned()
        self.repeats.rebuild(owned)
        self.offsets.load(owned)

    async def _on_revoked(self, _: Any, revoked: set[Any], **__: Any) -> None:
        name = self.topic.get_topic_name()
        if any(tp.topic == name for tp in revoked):
            self.repeats.rebuild(self.owned() - {tp.partition for tp in revoked
                                                 if tp.topic == name})
