"""An internal agent's skipped messages are read again in log order: a skipped message
never overwrites a later one of the same key (team samples, contact answers)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from cxpulse.config import Settings
from cxpulse.streams.internal_offsets import InternalOffsets
from tests.unit.test_deferred_changelog import RecordingTable


@dataclass
class Record:
    offset: int
    key: bytes
    value: bytes


LOG = [Record(0, b"K", b"k0"), Record(1, b"J", b"j1"), Record(2, b"K", b"k2"),
       Record(3, b"J", b"j3"), Record(4, b"K", b"k4"), Record(5, b"L", b"l5")]


class LogReader:
    """Reads ranges of the partition's log above (what the GapReader does on Kafka)."""

    def __init__(self) -> None:
        self.reads: list[tuple[int, int]] = []

    def due(self, partition: int, lo: int, hi: int) -> bool:
        return True

    async def read(self, partition: int, lo: int, hi: int) -> list[Record]:
        self.reads.append((lo, hi))
        return [r for r in LOG if lo <= r.offset <= hi]


async def test_a_skipped_message_is_applied_again_before_the_later_ones() -> None:
    state: dict[bytes, bytes] = {}

    def apply(key: bytes, value: bytes, partition: int) -> None:
        state[key] = value

    app = SimpleNamespace(Table=lambda *a, **k: RecordingTable())
    offsets = InternalOffsets(app, Settings(), None, "t", 1, apply)  # type: ignore[arg-type]
    reader = LogReader()
    offsets._reader = reader  # type: ignore[assignment]
    for record in LOG:
        if record.offset in (1, 2):
            continue  # the consumer skipped them
        apply(record.key, record.value, 0)
        offsets.note(0, record.offset)
    assert state == {b"K": b"k4", b"J": b"j3", b"L": b"l5"}  # J's j1 never came
    assert offsets.offsets.missing == {0: [(1, 2)]}
    assert await offsets.repair({0}) == 5
    assert reader.reads == [(1, 5)]
    assert state == {b"K": b"k4", b"J": b"j3", b"L": b"l5"}  # k2 did not win over k4
    assert offsets.offsets.missing == {}
    assert await offsets.repair({0}) == 0
    offsets.load({0})  # a new owner finds the partition's record in the table
    assert offsets.offsets.applied == {0: 5} and offsets.offsets.missing == {}


async def test_ranges_of_partitions_owned_elsewhere_are_left_for_their_owner() -> None:
    app = SimpleNamespace(Table=lambda *a, **k: RecordingTable())
    offsets = InternalOffsets(app, Settings(), None, "t", 2,  # type: ignore[arg-type]
                              lambda *_: None)
    offsets._reader = LogReader()  # type: ignore[assignment]
    offsets.note(1, 0)
    offsets.note(1, 3)
    assert await offsets.repair({0}) == 0 and offsets.offsets.missing == {1: [(1, 2)]}
