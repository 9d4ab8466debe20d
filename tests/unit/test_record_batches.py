"""Records sent a batch per partition land where Faust's own keyed send puts them."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner

from cxpulse.streams.record_batches import PartitionBatches, partition_of
from tests.unit.test_deferred_changelog import RecordingProducer


def test_keys_go_to_the_partition_of_kafka_s_default_partitioner() -> None:
    rng = random.Random(7)
    keys = [b"", b"C-1", "Zoë/ключ/票".encode(), *(rng.randbytes(rng.randrange(1, 40))
                                                   for _ in range(2000))]
    for partitions in (1, 3, 6, 12):
        every = list(range(partitions))
        assert [partition_of(key, partitions) for key in keys] == \
            [DefaultPartitioner()(key, every, every) for key in keys]


async def test_each_partition_s_last_record_is_known_once_its_batches_are_sent() -> None:
    producer = RecordingProducer(batch_size=256)
    batches = PartitionBatches(producer, "t-changelog")
    for n in range(90):
        await batches.append(n % 2, orjson_key(n), b'["value of some length"]')
    assert sum(n for _, n in producer.batches) < 90  # full batches left at once
    await batches.send()
    assert [n for _, n in producer.batches].count(0) == 0
    assert sum(n for _, n in producer.batches) == 90
    for partition in (0, 1):
        future, last = batches.sent[partition]
        assert future.result().offset + last == 44  # 45 records each, offsets 0-44


def orjson_key(n: int) -> bytes:
    return f'"k{n}"'.encode()
