"""A changelog partition whose recovery stopped moving is sought again (and only
such a partition), against a real (unstarted) Faust app's recovery and consumer."""

from __future__ import annotations

from typing import Any

import faust
from aiokafka.structs import TopicPartition as TP

from cxpulse.streams.recovery_watch import STALL_SECONDS, RecoveryWatch

CHANGELOG = "t-histories-changelog"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def recovering_app(offsets: dict[TP, int], highwaters: dict[TP, int]) -> tuple[Any, list[Any]]:
    app: Any = faust.App(f"t-{id(object())}", broker="kafka://127.0.0.1:1", store="memory://",
                         autodiscover=False, web_enabled=False)
    recovery = app.tables.recovery
    recovery.in_recovery = True
    recovery.active_offsets.update(offsets)
    recovery.active_highwaters.update(highwaters)
    seeks: list[Any] = []

    async def seek_wait(partitions: dict[TP, int]) -> None:
        seeks.append(dict(partitions))
    app.consumer.seek_wait = seek_wait
    app.consumer.assignment = lambda: set(highwaters)
    return app, seeks


async def test_a_partition_that_stops_below_its_highwater_is_sought_again() -> None:
    stuck, moving, done, empty = (TP(CHANGELOG, p) for p in range(4))
    app, seeks = recovering_app({stuck: 7, moving: 3, done: 9, empty: -1},
                                {stuck: 40, moving: 50, done: 9, empty: 5})
    clock = Clock()
    watch = RecoveryWatch(app, clock)
    app.consumer._read_offset[stuck] = 30  # fetched past what recovery applied
    await watch.tick()
    assert seeks == []  # first sight: nothing is late yet
    clock.now += STALL_SECONDS - 1
    app.tables.recovery.active_offsets[moving] = 20
    await watch.tick()
    assert seeks == []
    clock.now += 1
    app.tables.recovery.active_offsets[moving] = 35  # still reading: left alone
    await watch.tick()
    # Sought as recovery seeks: the last record read (read again), 0 when none.
    assert seeks == [{stuck: 7, empty: 0}]
    assert app.consumer._read_offset[stuck] is None
    await watch.tick()
    assert len(seeks) == 1  # and not again before as long once more
    clock.now += STALL_SECONDS
    app.tables.recovery.active_offsets[moving] = 50  # read to its highwater meanwhile
    await watch.tick()
    assert seeks[-1] == {stuck: 7, empty: 0}


async def test_nothing_is_sought_outside_a_recovery_or_for_a_partition_not_assigned() -> None:
    tp, gone = TP(CHANGELOG, 0), TP(CHANGELOG, 1)
    app, seeks = recovering_app({tp: 1, gone: 1}, {tp: 10, gone: 10})
    app.consumer.assignment = lambda: {tp}
    clock = Clock()
    watch = RecoveryWatch(app, clock)
    await watch.tick()
    clock.now += STALL_SECONDS
    await watch.tick()
    assert seeks == [{tp: 1}]
    app.tables.recovery.in_recovery = False
    clock.now += 10 * STALL_SECONDS
    await watch.tick()
    assert len(seeks) == 1
    app.tables.recovery.in_recovery = True  # a new recovery starts its clock again
    await watch.tick()
    assert len(seeks) == 1
