"""Whole fetches as batches (streams/batches.py), against a real (unstarted) Faust
consumer's bookkeeping: what is acked is what Faust commits, what is queued is
waited for by a revoke, what a rebalance interrupts is read again."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
import pytest
from aiokafka.errors import KafkaError, UnknownError
from aiokafka.structs import ConsumerRecord, TopicPartition
from mode.utils.locks import Event

from cxpulse.streams.batches import FETCH_MAX_WAIT_MS, QUEUED_BATCHES, Batch, BatchRoutes, _put

ROUTED = "cx.tickets"
OTHER = "cx.other"


def record(topic: str, offset: int, partition: int = 0) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, partition, offset, 0, 0, b"k", b"v", None, 1, 1, ())


def app_with_routes() -> tuple[Any, BatchRoutes]:
    app: Any = faust.App(f"t-{id(object())}", broker="kafka://127.0.0.1:1", store="memory://",
                         autodiscover=False, web_enabled=False)
    app.topics._acking_topics.update({ROUTED, OTHER})  # what subscribing agents do
    routes = BatchRoutes.of(app)
    routes.route(ROUTED)
    return app, routes


class Fetcher:
    """What the fetch loop checks to stop (set once the served fetches are used up)."""

    def __init__(self) -> None:
        self._stopped = Event()


def serve(app: Any, fetcher: Fetcher, fetches: list[dict[TopicPartition, list[Any]]],
          revoked: frozenset[TopicPartition] = frozenset()) -> None:
    """Serve ``fetches``; the worker owns their partitions but ``revoked``."""
    owned = {tp for fetch in fetches for tp in fetch} - revoked
    app.consumer.assignment = lambda: owned

    async def next_records(timeout: float) -> tuple[Any, Any]:
        if not fetches:
            fetcher._stopped.set()
            return {}, None
        return fetches.pop(0), None
    app.consumer._wait_next_records = next_records


async def test_a_fetch_becomes_tracked_batches_and_acked_offsets_are_what_faust_commits() -> None:
    app, routes = app_with_routes()
    consumer = app.consumer
    tp = TopicPartition(ROUTED, 2)
    fetcher = Fetcher()
    serve(app, fetcher, [{tp: [record(ROUTED, n, 2) for n in range(2_500)]}])
    await consumer._drain_messages(fetcher)
    queue = routes.queues[ROUTED]
    assert queue.qsize() == 3  # 1,000 + 1,000 + 500
    assert consumer._read_offset[tp] == 2_499
    assert len(consumer._unacked_messages) == 3  # a revoke waits for these
    seen = []
    async for batch in routes.batches(ROUTED):
        seen.append([r.offset for r in batch.records])
        routes.ack(batch)
        if queue.empty():
            break
    assert seen == [list(range(0, 1000)), list(range(1000, 2000)), list(range(2000, 2500))]
    assert len(consumer._unacked_messages) == 0
    assert consumer._new_offset(tp) == 2_500  # Faust's own commit arithmetic
    assert consumer._n_acked == 2_500


async def test_a_topics_partitions_are_interleaved_and_each_is_committed_to_its_end() -> None:
    app, routes = app_with_routes()
    consumer = app.consumer
    tps = [TopicPartition(ROUTED, p) for p in range(3)]
    sizes = {0: 700, 1: 5, 2: 600}
    fetcher = Fetcher()
    serve(app, fetcher, [{tp: [record(ROUTED, n, tp.partition) for n in range(sizes[tp.partition])]
                          for tp in tps}])
    await consumer._drain_messages(fetcher)
    queue = routes.queues[ROUTED]
    first, second = queue.get_nowait(), queue.get_nowait()
    order = [(r.partition, r.offset) for r in first.records + second.records]
    assert order[:6] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]
    assert len(first.records) == 1000 and len(order) == 1305
    assert {p: max(o for q, o in order if q == p) for p in sizes} == {0: 699, 1: 4, 2: 599}
    assert len(first.markers) == 3 and len(second.markers) == 2  # partition 1 ended early
    assert {tp.partition: consumer._read_offset[tp] for tp in tps} == {0: 699, 1: 4, 2: 599}
    routes.ack(first)
    routes.ack(second)
    assert {tp.partition: consumer._new_offset(tp) for tp in tps} == {0: 700, 1: 5, 2: 600}
    assert len(consumer._unacked_messages) == 0


async def test_acking_a_later_batch_first_commits_nothing_past_the_earlier_one() -> None:
    app, routes = app_with_routes()
    tp = TopicPartition(ROUTED, 0)
    consumer = app.consumer
    first = Batch([record(ROUTED, n) for n in range(100, 110)], 0, [consumer._to_message(
        tp, record(ROUTED, 109))])
    second = Batch([record(ROUTED, n) for n in range(110, 120)], 0, [consumer._to_message(
        tp, record(ROUTED, 119))])
    consumer._committed_offset[tp] = 100
    routes.ack(second)
    assert consumer._new_offset(tp) is None  # offsets 100-109 are not processed yet
    routes.ack(first)
    assert consumer._new_offset(tp) == 120


async def test_offsets_without_records_are_gaps_faust_lets_commits_pass() -> None:
    app, routes = app_with_routes()
    consumer = app.consumer
    tp = TopicPartition(ROUTED, 0)
    fetcher = Fetcher()
    consumer._read_offset[tp] = 1
    serve(app, fetcher, [{tp: [record(ROUTED, 2), record(ROUTED, 6), record(ROUTED, 7)]}])
    await consumer._drain_messages(fetcher)
    assert all(consumer._gap[tp].overlaps(offset) for offset in (3, 4, 5))
    batch = routes.queues[ROUTED].get_nowait()
    routes.ack(batch)
    consumer._committed_offset[tp] = 2
    assert consumer._new_offset(tp) == 8


async def test_records_of_a_partition_revoked_during_the_fetch_are_left_to_its_owner(
) -> None:
    app, routes = app_with_routes()
    consumer = app.consumer
    mine, theirs = TopicPartition(ROUTED, 0), TopicPartition(ROUTED, 1)
    fetcher = Fetcher()
    serve(app, fetcher, [{mine: [record(ROUTED, 0, 0)], theirs: [record(ROUTED, 0, 1)]}],
          revoked=frozenset({theirs}))
    await consumer._drain_messages(fetcher)
    batch = routes.queues[ROUTED].get_nowait()
    assert [(r.partition, r.offset) for r in batch.records] == [(0, 0)]
    assert consumer._read_offset[theirs] is None


async def test_topics_without_a_route_keep_fausts_per_message_path() -> None:
    app, routes = app_with_routes()
    consumer = app.consumer
    delivered: list[tuple[str, int]] = []

    async def callback(message: Any) -> None:
        delivered.append((message.topic, message.offset))
    consumer.callback = callback
    fetcher = Fetcher()
    serve(app, fetcher, [{TopicPartition(OTHER, 0): [record(OTHER, 0), record(OTHER, 1)],
                          TopicPartition(ROUTED, 0): [record(ROUTED, 0)]}])
    await consumer._drain_messages(fetcher)
    assert delivered == [(OTHER, 0), (OTHER, 1)]
    assert routes.queues[ROUTED].qsize() == 1


async def test_a_batch_fetched_before_a_rebalance_is_skipped_and_forgotten() -> None:
    app, routes = app_with_routes()
    consumer = app.consumer
    tp = TopicPartition(ROUTED, 0)
    stale = Batch([record(ROUTED, 0)], app.consumer_generation_id,
                  [consumer._to_message(tp, record(ROUTED, 0))])
    consumer.track_message(stale.markers[0])
    app.consumer_generation_id += 1
    fresh = Batch([record(ROUTED, 0)], app.consumer_generation_id,
                  [consumer._to_message(tp, record(ROUTED, 0))])
    routes.queues[ROUTED].put_nowait(stale)
    routes.queues[ROUTED].put_nowait(fresh)
    got = [batch async for batch in _first(routes.batches(ROUTED))]
    assert got == [fresh]
    assert stale.markers[0] not in consumer._unacked_messages  # a revoke does not wait for it
    assert consumer._new_offset(tp) is None  # nor is it committed


async def test_a_full_queue_gives_way_to_a_suspended_flow_and_queues_nothing() -> None:
    queue: asyncio.Queue[Batch] = asyncio.Queue(QUEUED_BATCHES)
    for n in range(QUEUED_BATCHES):
        queue.put_nowait(Batch([], 0, [n]))
    suspended = Event()
    put = asyncio.ensure_future(_put(queue, Batch([], 0, ["late"]), suspended))
    await asyncio.sleep(0.01)
    suspended.set()
    assert await put is False
    queue.get_nowait()  # room again: the abandoned put must not fill it
    await asyncio.sleep(0.01)
    assert [queue.get_nowait().markers for _ in range(queue.qsize())] == [[1], [2], [3]]


async def test_a_full_queue_takes_the_batch_once_the_agent_makes_room() -> None:
    queue: asyncio.Queue[Batch] = asyncio.Queue(1)
    queue.put_nowait(Batch([], 0, ["first"]))
    put = asyncio.ensure_future(_put(queue, Batch([], 0, ["second"]), Event()))
    await asyncio.sleep(0.01)
    assert queue.get_nowait().markers == ["first"]
    assert await put is True
    assert queue.get_nowait().markers == ["second"]


async def _first(batches: Any) -> Any:
    async for batch in batches:
        yield batch
        return



async def test_a_fetch_loop_cancelled_while_waiting_for_room_queues_nothing() -> None:
    queue: asyncio.Queue[Batch] = asyncio.Queue(1)
    queue.put_nowait(Batch([], 0, ["first"]))
    put = asyncio.ensure_future(_put(queue, Batch([], 0, ["untracked"]), Event()))
    await asyncio.sleep(0.01)
    put.cancel()  # the fetcher stopped for a rebalance
    await asyncio.sleep(0.01)
    assert queue.get_nowait().markers == ["first"]
    await asyncio.sleep(0.01)
    assert queue.empty()  # the abandoned batch was never tracked: it must not be applied


async def test_batches_queued_when_a_revoke_stops_the_flow_are_forgotten_not_applied() -> None:
    app, routes = app_with_routes()
    consumer = app.consumer
    tp = TopicPartition(ROUTED, 0)
    queued = [Batch([record(ROUTED, n)], app.consumer_generation_id,
                    [consumer._to_message(tp, record(ROUTED, n))]) for n in range(2)]
    for batch in queued:
        routes.queues[ROUTED].put_nowait(batch)
        consumer.track_message(batch.markers[0])
    consumer.stop_flow()  # what a revoke does first
    batches = routes.batches(ROUTED)
    waiting = asyncio.ensure_future(batches.__anext__())
    await asyncio.sleep(0.01)
    assert not waiting.done()  # both skipped: nothing to apply
    assert len(consumer._unacked_messages) == 0  # so wait_empty does not wait for them
    assert consumer._new_offset(tp) is None  # and nothing of them is committed
    waiting.cancel()


async def test_a_gap_right_after_a_record_read_again_is_noted() -> None:
    app, _ = app_with_routes()
    consumer = app.consumer
    tp = TopicPartition(ROUTED, 0)
    fetcher = Fetcher()
    consumer._read_offset[tp] = 9  # offset 9 read again, 10 has no record
    serve(app, fetcher, [{tp: [record(ROUTED, 9), record(ROUTED, 11)]}])
    await consumer._drain_messages(fetcher)
    assert consumer._gap[tp].overlaps(10) and not consumer._gap[tp].overlaps(11)


async def test_the_consumer_faust_creates_lets_the_broker_hold_an_empty_fetch_briefly() -> None:
    # Faust passes fetch_max_wait_ms=1500: a fetch that asks only for idle partitions
    # (the busy ones' records not taken yet) kept the busy topic unread that long.
    app, _ = app_with_routes()
    thread = app.consumer._thread
    client = thread._create_worker_consumer(app.transport)
    assert client._fetch_max_wait_ms == FETCH_MAX_WAIT_MS == 100
    await client.stop()


async def test_a_join_refused_for_a_shared_instance_id_is_named_in_the_log(
        caplog: Any) -> None:
    """aiokafka reports FENCED_INSTANCE_ID as KafkaError("UnknownError()")."""
    app: Any = faust.App(f"t-{id(object())}", broker="kafka://127.0.0.1:1", store="memory://",
                         autodiscover=False, web_enabled=False,
                         consumer_group_instance_id="worker-1")
    BatchRoutes.of(app).route(ROUTED)

    async def refused(timeout: float) -> tuple[Any, Any]:
        raise KafkaError(repr(UnknownError()))
    app.consumer._wait_next_records = refused
    with pytest.raises(KafkaError):
        await app.consumer._drain_messages(Fetcher())
    assert "same CXPULSE_INSTANCE_ID=worker-1" in caplog.text
