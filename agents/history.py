"""Faust wiring shared by the families built on :class:`HistoryFamily`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Generic, TypeVar

import faust

from cxpulse.agents.team_quantiles import TeamQuantileAgent
from cxpulse.config import Settings
from cxpulse.core.admission import IngestStats
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.gc_pause import collector_paused_then_frozen
from cxpulse.streams.batches import BatchRoutes
from cxpulse.streams.changelog import DeferredChangelog
from cxpulse.streams.deadletter import DeadLetters
from cxpulse.streams.gap_repair import GapReader
from cxpulse.streams.ingest import TopicIngest
from cxpulse.streams.shutdown import unless_stopping

log = logging.getLogger(__name__)

INTERNAL_ERROR = "internal_error"
"""Dead-letter reason of an event whose processing raised: a bug, not bad input."""


async def process(routes: BatchRoutes, family: Family, ingest: TopicIngest,
                  team: TeamQuantileAgent, name: str) -> None:
    """Every agent's loop: the family's pure pipeline over a batch, the batch's table
    writes, then its dead letters and team samples.

    The pure part runs without awaiting, so no rebalance or recovery can come between
    an event and its table writes; the batch is acked after this body. Offsets the
    consumer skipped are read again after the batch that showed them.
    """
    gaps = ingest.gaps
    try:
        async for batch in routes.batches(ingest.topic.get_topic_name()):
            await apply_batch(batch.records, family, ingest, team, name)
            if family.admission.offsets.missing:
                await read_skipped(gaps, family, ingest, team, name)
            routes.ack(batch)
    finally:
        await gaps.close()


async def apply_batch(messages: list[Any], family: Family, ingest: TopicIngest,
                      team: TeamQuantileAgent, name: str) -> None:
    """The family's pure pipeline over messages, their table writes, then their dead
    letters and team samples."""
    tables = ingest.tables
    rejected = []
    partition = -1
    family.begin_batch()
    for message in messages:
        if message.partition != partition:  # fetches come in runs of one partition
            partition = message.partition
            for table in tables:
                table.partition = partition
        try:
            rejection = family.handle(message.value, message.partition, key=message.key,
                                      headers=message.headers, offset=message.offset)
        except Exception as exc:
            # Taken, though it may have raised before its offset was noted: not skipped.
            family.admission.note_offset(message.partition, message.offset)
            rejected.append((message, internal_error(family, message, exc)))
            continue
        if rejection is not None:
            rejected.append((message, rejection.reason))
    family.end_batch()
    # Taken before the first await: a rebuild (recovery, revoke) that runs meanwhile
    # clears the family's outbox, and these events will be committed all the same.
    samples, family.outbox = family.outbox, []
    await flush_all(tables)
    for message, reason in rejected:
        await ingest.deadletters.send(message, reason)
    team.enqueue(name, samples)
    await team.drain()
    for forward in ingest.forwarders:
        await forward()


async def read_skipped(gaps: GapReader, family: Family, ingest: TopicIngest,
                       team: TeamQuantileAgent, name: str) -> None:
    """Apply the messages of the offset ranges the consumer skipped in the partitions
    this worker owns (:mod:`cxpulse.core.offsets`), then forget those ranges."""
    offsets = family.admission.offsets
    owned = ingest.assigned_partitions()
    for partition, ranges in list(offsets.missing.items()):
        for lo, hi in list(ranges):
            if partition not in owned or not gaps.due(partition, lo, hi):
                continue
            records = await gaps.read(partition, lo, hi)
            if records is None or partition not in ingest.assigned_partitions():
                continue
            await apply_batch(records, family, ingest, team, name)
            offsets.clear(partition, lo, hi)  # what is left has no record in the log
            for table in ingest.tables:
                table.partition = partition
            family.admission.save_offsets(partition)
            await flush_all(ingest.tables)


def internal_error(family: Family, message: Any, exc: Exception) -> str:
    """Count and log an event whose processing raised; it goes to the dead letters.

    A crashed agent is restarted, but the events it had taken count as processed:
    keep the event and go on with the batch. The message may hold ids: the
    traceback only at DEBUG.
    """
    log.error("processing raised %s on %s[%d]@%d; sent to the dead letters",
              type(exc).__name__, message.topic, message.partition, message.offset)
    log.debug("traceback", exc_info=True)
    family.admission.stats.rejected[(family.admission.topic, INTERNAL_ERROR)] += 1
    return INTERNAL_ERROR


async def rebuild(family: Family, ingest: TopicIngest,
                  lost: set[int] | None = None) -> None:
    """Rebuild a family from the partitions it owns (after recovery, or without the
    ``lost`` ones), letting the event loop run between steps.

    The steps read the tables lazily (a copy of 10^6 items alone holds the loop for
    0.1 s): nothing changes a table's size meanwhile, since no batch is fetched during
    a recovery and ticks and scrapes only rewrite existing keys.
    """
    async with ingest.rebuilding:  # a revoke and a recovery may ask at once: in turn
        owned = ingest.assigned_partitions() - (lost or set())
        with collector_paused_then_frozen():
            # A revoke keeps the other partitions' entities as they were sent.
            for _ in family.rebuild_steps(owned, resend=lost is None):
                await asyncio.sleep(0)
    await flush_all(ingest.tables)  # breach marks of breaches that fell due while no one ran


def forget_on_revoke(app: faust.App, family: Family,
                     ingest: TopicIngest) -> None:
    """Drop a revoked partition's entities at once: left in the index, their deadlines
    would keep firing here (the new owner counts them) although their responses now
    reach another worker."""
    topic = ingest.topic.get_topic_name()

    async def on_revoked(_: Any, revoked: set[Any], **__: Any) -> None:
        lost = {tp.partition for tp in revoked if tp.topic == topic}
        if lost:
            await rebuild(family, ingest, lost)

    app.on_partitions_revoked.connect(on_revoked, weak=False)  # type: ignore[arg-type]


async def flush_all(tables: list[DeferredChangelog]) -> None:
    for table in tables:
        await table.flush()


Family = TicketFamily | HistoryFamily
F = TypeVar("F", TicketFamily, HistoryFamily)


class HistoryAgent(Generic[F]):
    """One agent over a topic, its history table, a 1 s timer for the live clock."""

    topic: str
    """The topic's default name, e.g. ``cx.contacts``."""
    histories_table = ""
    """The history table's name, when not ``<family>-histories``."""

    def __init__(self, app: faust.App, settings: Settings, stats: IngestStats,
                 deadletters: DeadLetters, team: TeamQuantileAgent) -> None:
        self.settings = settings
        self.team = team
        self.name = self.topic.removeprefix("cx.")
        self.ingest = TopicIngest(app, settings, self.topic, self.name, stats, deadletters)
        self.histories = (self.ingest.table(self.histories_table) if self.histories_table
                          else self.table("histories"))
        self.family: F = self.build_family()
        self.routes = BatchRoutes.of(app)
        self.routes.route(self.ingest.topic.get_topic_name())
        app.agent(self.ingest.topic, name=self.name)(self._process)
        app.timer(1.0, name=f"{self.name}-tick")(unless_stopping(app, self._tick))
        self.histories.table.on_recover(self._rebuild)
        forget_on_revoke(app, self.family, self.ingest)

    def table(self, what: str) -> DeferredChangelog:
        return self.ingest.table(f"{self.name}-{what}")

    def build_family(self) -> F:
        raise NotImplementedError

    async def _process(self, _stream: Any) -> None:
        """The agent subscribes the topic; its records come in batches (streams/batches)."""
        await process(self.routes, self.family, self.ingest, self.team, self.name)

    async def _tick(self) -> None:
        if self.settings.clock == "live":
            self.family.tick()
            await flush_all(self.ingest.tables)
        # What a rebuild put in the outbox is sent without waiting for traffic.
        samples, self.family.outbox = self.family.outbox, []
        self.team.enqueue(self.name, samples)
        await self.team.drain()

    async def _rebuild(self) -> None:
        await rebuild(self.family, self.ingest)
