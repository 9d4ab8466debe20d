"""One changelog record per written key per batch, to the partition of its last write."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import orjson
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatch
from aiokafka.structs import RecordMetadata
from faust.serializers import codecs
from faust.transport.producer import ProducerBuffer

from cxpulse.streams.changelog import DeferredChangelog, _dumps


class RecordingProducer:
    """What DeferredChangelog uses of Faust's producer: its aiokafka client's record
    batches (aiokafka's own builder, small, so that a flush fills several), decoded
    as the broker would store them."""

    def __init__(self, topic: str = "t-changelog", batch_size: int = 512) -> None:
        self.topic = topic
        self.batch_size = batch_size
        self.sent: list[tuple[int, str, Any, str]] = []
        """(partition, key, value, "json" or "raw" for a tombstone), decoded"""
        self.batches: list[tuple[int, int]] = []
        """(partition, records) per batch sent"""
        self.offsets: dict[int, int] = {}

    def _ensure_producer(self) -> RecordingProducer:
        return self

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(self.batch_size, 0)

    async def send_batch(self, batch: BatchBuilder, topic: str, *,
                         partition: int) -> asyncio.Future[RecordMetadata]:
        assert topic == self.topic
        records = list(DefaultRecordBatch(batch._build()))
        self.batches.append((partition, len(records)))
        for record in records:
            self.sent.append((partition, orjson.loads(record.key),
                              None if record.value is None else orjson.loads(record.value),
                              "raw" if record.value is None else "json"))
        base = self.offsets.get(partition, -1) + 1
        self.offsets[partition] = base + len(records) - 1
        done: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        done.set_result(RecordMetadata(topic, partition, None, base, -1, 0, 0))
        return done


class RecordingTable:
    """What DeferredChangelog uses of a Faust table: its store, changelog topic, app."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: "t-changelog")
        self.app = SimpleNamespace(producer=RecordingProducer())
        self.sent = self.app.producer.sent


async def test_writes_are_visible_at_once_and_coalesced_on_flush() -> None:
    table = RecordingTable()
    deferred = DeferredChangelog(table)
    deferred.partition = 2
    deferred["t1"] = [1]
    deferred["t1"] = [1, 2]
    deferred["t2"] = ["x"]
    deferred.partition = 4
    deferred["t3"] = ["y"]
    del deferred["t2"]
    assert deferred["t1"] == [1, 2] and "t2" not in deferred and len(deferred) == 2
    assert table.sent == [] and deferred.pending == 3
    assert await deferred.flush() == 3
    assert table.sent == [(2, "t1", [1, 2], "json"), (4, "t2", None, "raw"),
                          (4, "t3", ["y"], "json")]
    assert await deferred.flush() == 0 and len(table.sent) == 3


async def test_a_flush_bigger_than_a_batch_is_sent_in_several_in_order() -> None:
    table = RecordingTable()
    deferred = DeferredChangelog(table)
    written = {}
    for n in range(300):
        deferred.partition = n % 3
        deferred[f"k{n}"] = written[f"k{n}"] = [n, "x" * (n % 50)]
    deferred.partition = 1
    deferred["big"] = written["big"] = ["y" * 2000]  # alone larger than a batch
    assert await deferred.flush() == 301
    producer = table.app.producer
    assert len(producer.batches) > 3 and sum(n for _, n in producer.batches) == 301
    assert {key: value for _, key, value, _ in table.sent} == written
    for partition in range(3):  # each key on its partition, in the order written
        keys = [key for p, key, _, _ in table.sent if p == partition]
        assert keys == [k for k in written if k != "big" and int(k[1:]) % 3 == partition
                        ] + (["big"] if partition == 1 else [])


class SlowLeavingBuffer(ProducerBuffer):
    """Faust's own send-soon buffer, each record taking 0.15 s to reach the client
    (a full batch waiting for the broker)."""

    def __init__(self) -> None:
        super().__init__()
        self.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))

    async def _send_pending(self, fut: Any) -> None:
        await asyncio.sleep(0.15)


async def test_faust_s_pre_commit_flush_gives_up_on_a_slow_record() -> None:
    """Why :meth:`DeferredChangelog.flush` awaits each record instead of send_soon:
    Faust's buffer flush (called before each commit) returns with records unsent."""
    buffer = SlowLeavingBuffer()
    await buffer.start()
    for n in range(4):
        buffer.pending.put_nowait(n)
    await buffer.flush()
    assert buffer.size >= 2  # yet the commit would now go ahead
    while buffer.size:
        await buffer.flush()
    await buffer.stop()


def test_keys_and_values_are_the_bytes_fausts_json_codec_writes() -> None:
    """The same key bytes as Faust's own table writes: compaction replaces records
    written before this change, and recovery reads both with Faust's codec."""
    for obj in ["T-1", "Zoë/ключ/票", {"h": [[1.5, "o", {"x": None}]], "p": 3},
                {1: "int keys"}, [1_795_300_000.123456, -0.0, 2**53]]:
        assert _dumps(obj) == codecs.dumps("json", obj)
        assert codecs.loads("json", _dumps(obj)) == orjson.loads(codecs.dumps("json", obj))
