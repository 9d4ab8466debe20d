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

PART, HIST, SIZE, MARKS = 0, 1, 2, 3
"""An entity's record, the value of its history table: ``[partition, history,
serialised size in bytes]``, and for a ticket whose breaches were counted ``[…,
those SLAs]``. A list, not a dict: 80 B instead of 184 B per entity in memory, and
shorter changelog records."""


def as_record(value: Any) -> list[Any]:
    """``value`` as a record; one written before 2026-12-07 (``{"p", "h", "n", "b"}``)
    converted."""
    if type(value) is list:
        return value
    record = [value["p"], value["h"], value.get("n", 0)]
    if "b" in value:
        record.append(value["b"])
    return record


def upgraded(mapping: MutableMapping[str, Any], key: str, value: Any) -> list[Any]:
    """``key``'s record, converted in memory if it is of the old format. Its changelog
    record stays as it is until the entity changes: no burst of writes at the first
    start of this version, and a standby's record is never written by a non-owner."""
    if type(value) is list:
        return value
    record = as_record(value)
    getattr(mapping, "data", mapping)[key] = record  # a table's store: no changelog write
    return record


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
                  partition: int, order: Order) -> list[Any] | None:
    """Insert ``entry`` into ``key``'s record (:data:`PART`), grown in place and
    written back (its changelog record, once per batch); the record, or None when the
    entry was already there."""
    record: list[Any] | None = histories.get(key)
    if record is None:  # its list sized for one entry: most tickets keep one
        record = [partition, [entry], size]
    elif insert_once(record[HIST], entry, order):
        record[PART] = partition
        record[SIZE] += size
    else:
        return None
    histories[key] = record
    return record
