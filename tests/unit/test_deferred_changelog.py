"""One changelog record per written key per batch, to the partition of its last write."""

from __future__ import annotations

from typing import Any

from cxpulse.streams.changelog import DeferredChangelog


class RecordingTable:
    """What DeferredChangelog uses of a Faust table: its store and send_changelog."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.sent: list[tuple[int, str, Any, dict[str, Any]]] = []

    def send_changelog(self, partition: int, key: str, value: Any, **kwargs: Any) -> None:
        self.sent.append((partition, key, value, kwargs))


def test_writes_are_visible_at_once_and_coalesced_on_flush() -> None:
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
    assert deferred.flush() == 3
    assert table.sent == [(2, "t1", [1, 2], {}),
                          (4, "t2", None, {"value_serializer": "raw"}),
                          (4, "t3", ["y"], {})]
    assert deferred.flush() == 0 and len(table.sent) == 3
