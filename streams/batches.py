"""Whole fetches handed to agents as batches, around Faust's per-message path.

Faust delivers every fetched record on its own: a ``Message`` and an ``Event``, the
conductor's callback raced against the flow-control event (two tasks per record),
a queue put and get, the ``take_events`` buffer, one ack per event. On this machine
that machinery alone caps a worker near 4,000 events/s (docs/performance.md). Here
the consumer's fetch loop (``Consumer._drain_messages``) is replaced: the records
a fetch brings for a routed topic go to that topic's agent as batches of up to
:data:`BATCH_MAX` (one queue put each), and are acked together once the agent has
applied them and queued their table writes. Changelog records that Faust's recovery
is reading are applied a fetch at a time too (:mod:`streams.restore`). Other topics
keep Faust's path.

What Faust's guarantees rest on is kept, in Kafka Streams' order (process a batch,
flush the changelog writes, then commit):

- the consumer group, assignment, seeks, table recovery and commits stay Faust's:
  the batch's offsets enter the same acked-offset bookkeeping ``Consumer.ack``
  fills, and a commit flushes the producer (every changelog record) first;
- each batch is tracked like a message being processed (``track_message`` on one
  marker per partition), so a revoke waits for the batch an agent is applying, as
  Faust waits for the events its agents took; batches still queued are skipped and
  forgotten, as Faust clears its buffers, and read again after the seek;
- a batch fetched before a rebalance is never applied after it: the fetch loop stops
  at a new generation or suspended flow, and an agent skips a batch of an older
  generation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any
from weakref import WeakKeyDictionary

import faust
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord

from cxpulse.streams import restore
from cxpulse.streams.changelog import BATCH_MAX

log = logging.getLogger(__name__)

_ROUTES: WeakKeyDictionary[faust.App, BatchRoutes] = WeakKeyDictionary()

QUEUED_BATCHES = 4
"""Batches a topic's queue holds before the fetch loop waits for its agent."""

FETCH_MAX_WAIT_MS = 100
"""How long the broker may hold a fetch that finds no record (Faust sets 1,500 ms).

aiokafka has one fetch in flight per broker, and leaves out of it the partitions
whose fetched records the worker has not taken yet (once they waited 100 ms). While
an agent applies a large fetch, the fetch loop waits for room in its queue, so the
next fetch asks only for idle partitions (the other families' topics) and the broker
holds it for the whole wait: the busy topic's records stayed unread for 1.5 s, every
cycle. Measured at 5,500 new tickets/s: the lag settled at 1-1.7 s (one large fetch
every 1.65 s, the agent idle half of the time) instead of about 0.2 s."""


@dataclass(slots=True)
class Batch:
    """Records of one topic from one fetch, its partitions interleaved one record at a
    time as Faust's scheduler delivers them (in replay, "now" is the slowest
    partition's time: a partition read far ahead of the others would make theirs
    look late), each partition's in offset order."""

    records: list[ConsumerRecord[bytes, bytes]]
    generation: int
    """The consumer group generation the records were fetched in."""
    markers: list[Any]
    """A Faust message per partition (its last record here), tracked until the batch
    is acked."""


class BatchRoutes:
    """Topics whose records reach their agent in batches, and the fetch loop that
    sends them there: one per app (:meth:`of`)."""

    def __init__(self, app: faust.App) -> None:
        self.app = app
        self.queues: dict[str, asyncio.Queue[Batch]] = {}
        consumer: Any = app.consumer
        consumer._drain_messages = self._drain
        _bound_fetch_wait(consumer._thread)

    @classmethod
    def of(cls, app: faust.App) -> BatchRoutes:
        routes = _ROUTES.get(app)
        if routes is None:
            routes = _ROUTES[app] = cls(app)
        return routes

    def route(self, topic: str) -> None:
        """Deliver ``topic``'s (full name) records in batches, from the first fetch on:
        called before the app starts."""
        self.queues[topic] = asyncio.Queue(QUEUED_BATCHES)

    async def batches(self, topic: str) -> AsyncIterator[Batch]:
        """The batches of ``topic`` (full name, routed here) in fetch order; each must
        be :meth:`ack`-ed after it is applied (or it is read again after the next
        rebalance)."""
        queue = self.queues[topic]
        consumer: Any = self.app.consumer
        while True:
            batch = await queue.get()
            if batch.generation != self.app.consumer_generation_id or not consumer.flow_active:
                # A rebalance is under way (or was): like the events Faust clears from
                # its buffers then, the batch is read again after the seek, by whichever
                # worker owns its partitions.
                self._forget(batch)
                continue
            yield batch

    def ack(self, batch: Batch) -> None:
        """Mark every record of ``batch`` processed: committed at the next commit."""
        consumer: Any = self.app.consumer
        offsets: dict[int, list[int]] = {}
        for record in batch.records:
            offsets.setdefault(record.partition, []).append(record.offset)
        for marker in batch.markers:
            tp = marker.tp
            committed = consumer._committed_offset[tp]
            index = consumer._acked_index[tp]
            fresh = [o for o in offsets[tp.partition]
                     if (committed is None or o >= committed) and o not in index]
            index.update(fresh)
            consumer._acked[tp].extend(fresh)
            consumer._n_acked += len(fresh)
        self._forget(batch)

    def _forget(self, batch: Batch) -> None:
        consumer: Any = self.app.consumer
        for marker in batch.markers:
            marker.acked = True
            consumer._unacked_messages.discard(marker)
        waiter = consumer._waiting_for_ack
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _drain(self, fetcher: Any) -> None:
        """Faust's fetch loop (``Consumer._drain_messages``), routing whole batches."""
        consumer: Any = self.app.consumer
        try:
            while not (consumer._stopped.is_set() or fetcher._stopped.is_set()):
                await self._fetch_once(consumer)
        except Exception as exc:
            log.exception("the batch fetch loop raised: %r", exc)
            instance = self.app.conf.consumer_group_instance_id
            if instance and isinstance(exc, KafkaError) and "UnknownError" in str(exc):
                # aiokafka does not know FENCED_INSTANCE_ID (error 82) and reports a join
                # refused with it as KafkaError("UnknownError()"): say what it means.
                log.error("the group refused this worker's membership: another worker "
                          "runs with the same CXPULSE_INSTANCE_ID=%s (each needs its own)",
                          instance)
            raise

    async def _fetch_once(self, consumer: Any) -> None:
        """One fetch: routed topics' records queued as batches, others delivered."""
        app: Any = self.app
        read_offset = consumer._read_offset
        records, active = await consumer._wait_next_records(1.0)
        await asyncio.sleep(0)
        if not records or consumer.should_stop:
            return
        generation = app.consumer_generation_id
        # A fetch that was under way when a rebalance began may bring records of
        # partitions this worker no longer owns: their new owner reads them.
        assigned = consumer.assignment()
        routed: dict[str, list[tuple[Any, list[ConsumerRecord[bytes, bytes]]]]] = {}
        restored = False
        for tp, fetched in records.items():
            if not consumer.flow_active or app.consumer_generation_id != generation:
                break  # a rebalance began: the seek after it reads these again
            if (active is not None and tp not in active) or tp not in assigned:
                continue
            last = read_offset[tp]
            fresh = (fetched if last is None or fetched[0].offset >= last
                     else [r for r in fetched if r.offset >= last])
            if not fresh:
                continue
            if restore.restore(app, tp, fresh):  # a changelog partition being recovered
                read_offset[tp] = fresh[-1].offset
                restored = True
                continue
            if app.topics.acks_enabled_for(tp.topic):
                await self._note_gaps(consumer, tp, last, fresh)
            if tp.topic in self.queues:
                routed.setdefault(tp.topic, []).append((tp, fresh))
                continue
            for record in fresh:
                await consumer.wait_first(consumer.callback(consumer._to_message(tp, record)),
                                          consumer.suspend_flow.wait())
                read_offset[tp] = record.offset
        if restored:
            restore.end_if_done(app)
        for topic, parts in routed.items():
            if not await self._hand_over(self.queues[topic], parts, generation):
                break
        commit_every = consumer._commit_every
        if commit_every is not None and consumer._n_acked >= commit_every:
            consumer._n_acked = 0
            await consumer.commit()

    async def _hand_over(self, queue: asyncio.Queue[Batch],
                         parts: list[tuple[Any, list[ConsumerRecord[bytes, bytes]]]],
                         generation: int) -> bool:
        """Queue one topic's fetched records as batches; False once a rebalance stops
        the flow (what was not queued is read again after the seek)."""
        consumer: Any = self.app.consumer
        tps = {tp.partition: tp for tp, _ in parts}
        merged = [r for group in zip_longest(*(fresh for _, fresh in parts))
                  for r in group if r is not None]
        for start in range(0, len(merged), BATCH_MAX):
            chunk = merged[start:start + BATCH_MAX]
            last: dict[int, ConsumerRecord[bytes, bytes]] = {}
            for record in chunk:
                last[record.partition] = record
            markers = [consumer._to_message(tps[p], r) for p, r in last.items()]
            batch = Batch(chunk, generation, markers)
            if not consumer.flow_active or not await _put(queue, batch, consumer.suspend_flow):
                return False
            for marker in markers:  # before any await: a revoke waits for the batch
                consumer.track_message(marker)
                consumer._read_offset[marker.tp] = marker.offset
        return True

    @staticmethod
    async def _note_gaps(consumer: Any, tp: Any, last: int | None,
                         records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Offsets with no record (compaction, transaction markers) count as acked, as in
        Faust's own loop, so commits can pass them (Faust's range also holds the next
        record's offset, acked twice then; this one ends before it)."""
        first = records[0].offset
        if (records[-1].offset - first == len(records) - 1
                and (last is None or first <= last + 1)):
            return  # contiguous, the usual case: no per-record walk
        previous = last
        for record in records:
            if previous is not None and record.offset - previous > 1:
                await consumer._add_gap(tp, previous + 1, record.offset - 1)
            previous = record.offset


def _bound_fetch_wait(thread: Any) -> None:
    """Create the aiokafka consumer of Faust's consumer ``thread`` with
    :data:`FETCH_MAX_WAIT_MS` (Faust passes a fixed 1,500 ms)."""
    create = thread._create_worker_consumer

    def create_worker_consumer(transport: Any) -> Any:
        client = create(transport)
        client._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when its fetcher starts
        return client

    thread._create_worker_consumer = create_worker_consumer


async def _put(queue: asyncio.Queue[Batch], batch: Batch, suspended: Any) -> bool:
    """Queue ``batch``, waiting for room unless the flow is suspended first; whether
    it was queued."""
    if not queue.full():
        queue.put_nowait(batch)
        return True
    put = asyncio.ensure_future(queue.put(batch))
    stop = asyncio.ensure_future(suspended.wait())
    try:
        await asyncio.wait({put, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when the fetch loop is cancelled: no batch queued behind its back
        stop.cancel()
        queued = put.done()
        if not queued:
            put.cancel()  # a cancelled Queue.put has put nothing
    return queued
