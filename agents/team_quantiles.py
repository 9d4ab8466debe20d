"""Team-level quantiles over Kafka: senders in every agent, one owning worker.

Every worker sends each entity's changed duration samples to a one-partition topic
(``{app id}-team-samples``); whichever worker Kafka's group gives that partition
keeps them in a changelog-backed table and exports the quantiles
(:mod:`cxpulse.core.team_quantiles`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from typing import Any

import faust
import orjson

from cxpulse.config import Settings
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.streams.app import assigned_partitions, json_table_schema
from cxpulse.streams.batches import BatchRoutes
from cxpulse.streams.changelog import DeferredChangelog
from cxpulse.streams.internal_offsets import InternalOffsets

MESSAGE_BYTES = 128 * 1024
"""Entities' samples are packed into team-samples messages of about this size (one
per batch and family, rather than one per entity); an entity larger than this goes
alone, as every entity did before. Kafka's default limit is 1 MB per message, and an
agent's samples of two days can be tens of kilobytes."""


def packed(family: str, latest: dict[str, list[list[Any]]]) -> Iterator[bytes]:
    """``[family, [[entity, samples], ...]]`` messages of about :data:`MESSAGE_BYTES`."""
    head = orjson.dumps(family)
    parts: list[bytes] = []
    size = 0
    for entity, samples in latest.items():
        part = orjson.dumps([entity, samples])
        if parts and size + len(part) > MESSAGE_BYTES:
            yield b"[" + head + b",[" + b",".join(parts) + b"]]"
            parts, size = [], 0
        parts.append(part)
        size += len(part) + 1
    if parts:
        yield b"[" + head + b",[" + b",".join(parts) + b"]]"


class TeamQuantileAgent:
    """The topic, the owner's table and agent, and :meth:`enqueue` / :meth:`drain` for
    the families."""

    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.app = app
        self.topic = app.topic(f"{settings.app_id}-team-samples", partitions=1, internal=True,
                               key_serializer="raw", value_serializer="raw")
        table = app.Table("team-samples", partitions=1, schema=json_table_schema())
        self.table = DeferredChangelog(table)
        self.quantiles = TeamQuantiles(self.table, owned=self.owned)
        self.offsets = InternalOffsets(app, settings, self.topic, "team-samples", 1, self._apply)
        self._pending: deque[tuple[str, list[tuple[str, list[list[Any]]]]]] = deque()
        self._sending = asyncio.Lock()
        self.routes = BatchRoutes.of(app)
        self.routes.route(self.topic.get_topic_name())
        app.agent(self.topic, name="team-quantiles")(self._process)
        table.on_recover(self._rebuild)

    def enqueue(self, family: str, outbox: list[tuple[str, list[list[Any]]]]) -> None:
        """Queue a family's outbox (taken from the family without awaiting)."""
        if outbox:
            self._pending.append((family, outbox))

    async def drain(self) -> None:
        """Send the queued outboxes in the order they were queued (a batch's and the
        timer's, one sender at a time: a later state of an entity never goes first).
        Only an entity's last samples of an outbox are sent: each replaces the last."""
        async with self._sending:
            while self._pending:
                family, outbox = self._pending.popleft()
                for value in packed(family, dict(outbox)):
                    await self.topic.send(key=family.encode(), value=value)

    def owned(self) -> bool:
        """Whether this worker owns the partition, hence exports the quantiles."""
        return bool(assigned_partitions(self.app, self.topic.get_topic_name()))

    def _apply(self, _key: bytes, value: bytes, _partition: int) -> None:
        message = orjson.loads(value)
        if len(message) == 3:  # one entity per message, as workers before 2026-12-06 sent
            family, entity, samples = message
            self.quantiles.receive(family, entity, samples)
            return
        family, changed = message
        for entity, samples in changed:
            self.quantiles.receive(family, entity, samples)

    async def _process(self, _stream: Any) -> None:
        try:
            async for batch in self.routes.batches(self.topic.get_topic_name()):
                for message in batch.records:
                    self._apply(message.key, message.value, message.partition)
                    self.offsets.note(message.partition, message.offset)
                if self.offsets.offsets.missing:
                    await self.offsets.repair({0} if self.owned() else set())
                await self.table.flush()
                await self.offsets.table.flush()
                self.routes.ack(batch)
        finally:
            await self.offsets.close()

    async def _rebuild(self) -> None:
        self.quantiles.rebuild()
        self.offsets.load({0})
