"""An entity's history: its entries kept sorted, each event at most once."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

Order = Callable[[list[Any]], tuple[Any, ...]]


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
