"""Records sent a batch per partition: each partition's last record is known."""

from __future__ import annotations

from cxpulse.streams.record_batches import PartitionBatches
from tests.unit.test_deferred_changelog import RecordingProducer


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
