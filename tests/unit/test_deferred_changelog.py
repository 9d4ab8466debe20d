"""One changelog record per written key per batch, to the partition of its last write."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import orjson
from faust.serializers import codecs
from faust.transport.producer import ProducerBuffer

from cxpulse.streams.changelog import DeferredChangelog, _dumps


class RecordingProducer:
    """What DeferredChangelog uses of Faust's producer: an awaited send of bytes."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, Any, str]] = []
        """(partition, key, value, "json" or "raw" for a tombstone), decoded"""

    async def send(self, topic: str, key: bytes, value: bytes | None, partition: int,
                   timestamp: float | None, headers: Any) -> None:
        assert topic == "t-changelog" and timestamp is None and headers is None
        self.sent.append((partition, orjson.loads(key),
                          None if value is None else orjson.loads(value),
                          "raw" if value is None else "json"))


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
