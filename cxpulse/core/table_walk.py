"""Walking a table while the event loop runs in between."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def items_as_of_now(table: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The table's items, its keys taken now and each value read when reached.

    A rebuild yields to the event loop every few thousand entities, and meanwhile a
    standby partition's changelog records may add keys to the same table (a dict
    that changes size under its own iterator raises). Keys added meanwhile belong
    to partitions the rebuild does not own; a key deleted meanwhile is skipped.
    """
    for key in list(table):
        value = table.get(key)
        if value is not None:
            yield key, value
