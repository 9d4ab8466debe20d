"""Table writes with their changelog records coalesced per key per batch.

A Faust table sends one changelog record for every assignment. Agents process a
batch of events at a time (a fetch's records of one topic, streams/batches.py),
and within a batch the same key is often written several times (a ticket's events,
a session's page views): only its last value needs to reach the changelog. This is
Kafka Streams' record cache: values change in the in-memory store at once, and each
dirty key's final value (or tombstone) is sent when the batch ends. A batch is acked
only after the agent's loop body has run, and Faust flushes the Kafka client before
it commits their offsets, so a crash can lose a batch's writes only together with
the right to skip its events: they are read and applied again.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from typing import Any

import orjson
from faust.types import TP

from cxpulse.core.sharded import ONE_SHARD, SHARD_OF, SLOT_MASK, ShardedDict
from cxpulse.streams.record_batches import PartitionBatches, kafka_client
from cxpulse.streams.store import ResumingStore

BATCH_MAX = 1000
"""Events per batch at most: one changelog record per written key per batch."""


class DeferredChangelog(MutableMapping[str, Any]):
    """A Faust table's store, read and written directly; changelog sent on :meth:`flush`.

    Writes go to the changelog partition in :attr:`partition`, which the agent sets
    to the partition of the event it is about to process (what Faust itself would
    use); a table with one partition always writes to 0.
    """

    __slots__ = ("_dirty", "_resuming", "_shard_of", "_shards", "data", "partition", "table")

    def __init__(self, table: Any) -> None:
        self.table = table
        store = table.data
        self._resuming: ResumingStore | None = (
            store if isinstance(store, ResumingStore) else None)
        # ``is not None``: an empty store is falsy, and going through its own mapping
        # methods (Faust's FastUserDict: a KeyError raised and caught on every miss)
        # was a Python call more per access.
        self.data: MutableMapping[str, Any] = (
            store.data if self._resuming is not None else store)
        """The memory store's own mapping (its methods only forward to it): a rebuild
        reads every key."""
        # Its shards, reached without a call: this is every event's path.
        self._shards: Sequence[MutableMapping[str, Any]] = [self.data]
        self._shard_of = ONE_SHARD
        if isinstance(self.data, ShardedDict):
            self._shards, self._shard_of = self.data.shards, SHARD_OF
        self.partition = 0
        self._dirty: dict[str, int] = {}
        """key -> changelog partition of its pending write."""

    def __getitem__(self, key: str) -> Any:
        return self._shards[self._shard_of[hash(key) & SLOT_MASK]][key]

    def get(self, key: str, default: Any = None) -> Any:
        return self._shards[self._shard_of[hash(key) & SLOT_MASK]].get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._shards[self._shard_of[hash(key) & SLOT_MASK]]

    def __setitem__(self, key: str, value: Any) -> None:
        self._shards[self._shard_of[hash(key) & SLOT_MASK]][key] = value
        self._dirty[key] = self.partition

    def put(self, key: str, value: Any, partition: int) -> None:
        """Write ``key`` to ``partition``'s changelog whatever event is being processed
        (a ticket's breach mark written while another partition's event moves "now")."""
        self._shards[self._shard_of[hash(key) & SLOT_MASK]][key] = value
        self._dirty[key] = partition

    def delete(self, key: str, partition: int) -> None:
        """Delete ``key`` with a tombstone on ``partition``'s changelog (see :meth:`put`)."""
        if self._shards[self._shard_of[hash(key) & SLOT_MASK]].pop(key, None) is not None:
            self._dirty[key] = partition

    def __delitem__(self, key: str) -> None:
        del self._shards[self._shard_of[hash(key) & SLOT_MASK]][key]
        self._dirty[key] = self.partition

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def pending(self) -> int:
        """Keys written since the last flush."""
        return len(self._dirty)

    async def flush(self) -> int:
        """Hand each dirty key's current value (or a tombstone) to the Kafka client.

        Serialized here as Faust's JSON codec does (orjson, the same options: the same
        key bytes, so compaction still replaces older records) and appended to a record
        batch per changelog partition (:mod:`streams.record_batches`): Faust's
        ``Topic.send`` path (a future message, sensors, its codec lookup) was a quarter
        of a busy worker's time, and the client's own ``send`` per record still cost
        a coroutine and a future each. Awaited, not queued with Faust's ``send_soon``:
        Faust flushes its send-soon buffer before a commit but stops waiting once one
        record takes over 0.1 s to leave it (a full batch waiting for the broker, a
        busy loop), so a commit could cover writes that exist only in this process and
        a crash would lose them for good. Batches handed to the client are in the
        flush that precedes every commit.

        The store learns each partition's last record, so that after a rebalance the
        recovery of a partition this worker kept starts from there.
        """
        dirty, self._dirty = self._dirty, {}  # writes made while sending: the next flush
        topic = self.table.changelog_topic.get_topic_name()
        batches = PartitionBatches(kafka_client(self.table.app), topic)
        shards, shard_of = self._shards, self._shard_of
        for key, partition in dirty.items():
            value = shards[shard_of[hash(key) & SLOT_MASK]].get(key)
            await batches.append(partition, _dumps(key),
                                 None if value is None else _dumps(value))
        await batches.send()
        if self._resuming is not None:
            for partition, (batch, last) in batches.sent.items():
                self._resuming.sent(TP(topic, partition), batch, last)
        return len(dirty)


def _dumps(value: Any) -> bytes:
    """A table key or value as Faust's ``json`` codec writes it (with orjson installed)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z)
