"""After a rebalance, a kept changelog partition is read only from where the store is."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import orjson
from aiokafka.structs import ConsumerRecord, RecordMetadata
from faust.types import TP

from cxpulse.config import Settings
from cxpulse.core.sharded import ShardedDict
from cxpulse.streams.app import create_app, json_table_schema
from cxpulse.streams.changelog import DeferredChangelog
from cxpulse.streams.restore import restore
from cxpulse.streams.store import ResumingStore
from tests.unit.test_deferred_changelog import RecordingProducer

CHANGELOG = "app-t-changelog"


def store() -> ResumingStore:
    app = create_app(Settings(app_id=f"t-{id(object())}", kafka_bootstrap="127.0.0.1:1"))
    table = app.Table("t", schema=json_table_schema())
    assert isinstance(table.data, ResumingStore)  # what every cxpulse table gets
    return table.data


def acked(offset: int, partition: int = 0) -> asyncio.Future[RecordMetadata]:
    record: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
    record.set_result(RecordMetadata(CHANGELOG, partition, TP(CHANGELOG, partition), offset,
                                     0, 0, -1))
    return record


def changelog_event(partition: int, offset: int, key: bytes, value: bytes | None) -> Any:
    message = SimpleNamespace(tp=TP(CHANGELOG, partition), partition=partition, offset=offset,
                              value=value)
    return SimpleNamespace(message=message, key=key, value=value)


async def test_a_fresh_partition_is_read_from_the_start() -> None:
    assert store().persisted_offset(TP(CHANGELOG, 0)) is None


async def test_the_last_acknowledged_write_is_where_recovery_resumes() -> None:
    s, tp = store(), TP(CHANGELOG, 3)
    await s.on_recovery_completed({tp}, set())  # recovered as active: complete
    s.sent(tp, acked(41, 3))
    assert s.persisted_offset(tp) == 41
    pending: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    s.sent(tp, pending)  # not acknowledged yet: the offset stays where the broker has it
    assert s.persisted_offset(tp) == 41
    pending.set_exception(OSError("broker gone"))
    assert s.persisted_offset(tp) == 41  # a failed send moves nothing
    s.sent(tp, acked(57, 3))
    assert s.persisted_offset(tp) == 57
    assert s.persisted_offset(TP(CHANGELOG, 4)) is None


async def test_records_applied_in_a_recovery_count_too() -> None:
    s, tp = store(), TP(CHANGELOG, 1)
    s.apply_changelog_batch([changelog_event(1, 7, b'"a"', b"[1]"),
                             changelog_event(1, 9, b'"b"', b"[2]")],
                            to_key=lambda k: k, to_value=lambda v: v)
    assert s.persisted_offset(tp) is None  # until the recovery completes
    await s.on_recovery_completed({tp}, set())
    assert s.persisted_offset(tp) == 9 and s[b'"b"'] == b"[2]"
    s.sent(tp, acked(5, 1))  # never backwards
    assert s.persisted_offset(tp) == 9


async def test_revoked_or_newly_assigned_partitions_are_read_from_the_start() -> None:
    s = store()
    kept, lost, back = (TP(CHANGELOG, p) for p in (0, 1, 2))
    await s.on_recovery_completed({kept, lost, back}, set())
    for n, tp in enumerate((kept, lost, back)):
        s.sent(tp, acked(100 + n, tp.partition))
        assert s.persisted_offset(tp) == 100 + n
    # Eager rebalance: Faust tells the store what it lost and what is new since.
    await s.on_rebalance({kept, back}, {lost}, {back})
    assert s.persisted_offset(kept) == 100
    assert s.persisted_offset(lost) is None and s.persisted_offset(back) is None


async def test_a_flush_tells_the_store_each_partitions_last_record() -> None:
    s = store()
    table = SimpleNamespace(data=s, app=SimpleNamespace(producer=RecordingProducer(CHANGELOG)),
                            changelog_topic=SimpleNamespace(get_topic_name=lambda: CHANGELOG))
    deferred = DeferredChangelog(table)
    await s.on_recovery_completed({TP(CHANGELOG, 0), TP(CHANGELOG, 1)}, set())
    for n in range(5):
        deferred.partition = n % 2
        deferred[f"k{n}"] = [n]
    await deferred.flush()
    assert s.persisted_offset(TP(CHANGELOG, 0)) == 2  # k0, k2, k4
    assert s.persisted_offset(TP(CHANGELOG, 1)) == 1  # k1, k3
    deferred.partition = 0
    for n in range(40):  # several batches: the offset is the last one's last record
        deferred[f"again{n}"] = ["x" * 30]
    await deferred.flush()
    assert len(table.app.producer.batches) > 3
    assert s.persisted_offset(TP(CHANGELOG, 0)) == 42


def changelog_record(partition: int, offset: int, key: str, value: Any) -> Any:
    return ConsumerRecord(CHANGELOG, partition, offset, 0, 0, orjson.dumps(key),
                          None if value is None else orjson.dumps(value), None, 1, 1, ())


async def test_a_fetch_of_changelog_records_is_restored_in_order() -> None:
    s, tp = store(), TP(CHANGELOG, 2)
    s.restore(tp, [changelog_record(2, 10, "a", [1]), changelog_record(2, 11, "b", {"x": 1}),
                   changelog_record(2, 12, "a", None), changelog_record(2, 13, "c", [3]),
                   changelog_record(2, 14, "c", None), changelog_record(2, 15, "c", [4])])
    assert dict(s.data) == {"b": {"x": 1}, "c": [4]}  # the last value of each key wins
    await s.on_recovery_completed({tp}, set())
    assert s.persisted_offset(tp) == 15


async def test_a_standby_copy_is_never_resumed_from() -> None:
    """Faust's memory store drops the standby partitions' keys when a recovery
    completes: resuming the partition from its standby offset once it became active
    would lose every record before."""
    s, active, standby = store(), TP(CHANGELOG, 0), TP(CHANGELOG, 1)
    s.restore(active, [changelog_record(0, 0, "a", [1])])
    s.restore(standby, [changelog_record(1, 0, "s", [1]), changelog_record(1, 1, "t", [2])])
    await s.on_recovery_completed({active}, {standby})
    assert "s" not in s.data and s.data["a"] == [1]  # what Faust's memory store does
    s.restore(standby, [changelog_record(1, 2, "u", [3])])  # standby reading goes on
    assert s.persisted_offset(active) == 0
    assert s.persisted_offset(standby) is None  # read from the start once active
    # Moved from active to standby at a rebalance (still assigned): not trusted either
    # once the recovery completes.
    await s.on_rebalance({active, standby}, set(), set())
    await s.on_recovery_completed({standby}, {active})
    assert s.persisted_offset(active) is None


class Recovery:
    """What streams.restore reads and moves of Faust's recovery."""

    def __init__(self, table: Any, active: set[TP], standby: set[TP]) -> None:
        self.tp_to_table = {tp: table for tp in active | standby}
        self.active_tps, self.standby_tps = active, standby
        self.active_offsets: dict[TP, int] = {tp: 11 for tp in active}  # read to 11
        self.standby_offsets: dict[TP, int] = {}


async def test_recovery_records_skip_what_recovery_already_read() -> None:
    app = create_app(Settings(app_id=f"t-{id(object())}", kafka_bootstrap="127.0.0.1:1"))
    table = app.Table("t", schema=json_table_schema())
    active, standby, other = TP(CHANGELOG, 0), TP(CHANGELOG, 1), TP(CHANGELOG, 2)
    recovery = Recovery(table, {active}, {standby})
    fake_app = SimpleNamespace(tables=SimpleNamespace(recovery=recovery))
    records = [changelog_record(0, n, f"k{n % 3}", [n]) for n in range(10, 14)]
    assert restore(fake_app, active, records)
    assert dict(table.data.data) == {"k0": [12], "k1": [13]}  # 10 and 11 were read before
    assert recovery.active_offsets[active] == 13
    assert restore(fake_app, standby, [changelog_record(1, 0, "s", [0])])
    assert recovery.standby_offsets[standby] == 0 and table.data.data["s"] == [0]
    assert not restore(fake_app, other, [changelog_record(2, 0, "o", [0])])  # Faust's path
    assert "o" not in table.data.data


def test_a_table_writes_the_stores_sharded_mapping_directly_even_while_empty() -> None:
    """Not through the store's own mapping methods (an empty store is falsy); and in
    shards, so that growing past 1.4 million keys does not hold the loop at once."""
    app = create_app(Settings(app_id=f"t-{id(object())}", kafka_bootstrap="127.0.0.1:1"))
    table = app.Table("t", schema=json_table_schema())
    deferred = DeferredChangelog(table)
    assert deferred.data is table.data.data and isinstance(deferred.data, ShardedDict)
    deferred["T-1"] = [0, [], 0]
    assert table.data["T-1"] == [0, [], 0] and list(deferred) == ["T-1"]
