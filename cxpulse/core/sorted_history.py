"""An entity's history: its entries kept sorted, each event at most once."""

from __future__ import annotations

import bisect
from collections.abc import Callable, MutableMapping
from typing import Any

Order = Callable[[list[Any]], tuple[Any, ...]]

TIME, KIND, ID = 0, 1, 2
"""Every history entry starts ``[event time, kind code, event id, …]``; each family
names the fields after those where it builds its entries.

Entries are JSON lists, not record classes, on purpose: they are the changelog's
values (orjson writes and reads a list as it is, a record would be converted on
every write and on every recovery of 10^6 entities), and they are read in the hot
loop of every event (bisect insert, fact refresh). So the indices have names
instead."""


def insert_once(history: list[list[Any]], entry: list[Any], order: Order) -> bool:
    """Insert ``entry`` at its place; False (and no change) when it is already there.

    A redelivered event has the same (time, kind, id), so it sits exactly where
    ``bisect`` looks: O(log n) to find it, one memmove to insert, instead of a scan.
    """
    key = order(entry)
    at = bisect.bisect_left(history, key, key=order)
    if at < len(history) and order(history[at]) == key:
        return False
    history.insert(at, entry)
    return True


def add_to_record(histories: MutableMapping[str, Any], key: str, entry: list[Any], size: int,
                  partition: int, order: Order) -> dict[str, Any] | None:
    """Insert ``entry`` into ``key``'s record ``{"p": partition, "h": history, "n":
    serialised size}``, grown in place and written back (its changelog record, once
    per batch); the record, or None when the entry was already there."""
    record: dict[str, Any] | None = histories.get(key)
    if record is None:  # its list sized for one entry: most tickets keep one
        record = {"p": partition, "h": [entry], "n": size}
    elif insert_once(record["h"], entry, order):
        record["p"] = partition
        record["n"] = record.get("n", 0) + size
    else:
        return None
    histories[key] = record
    return record
