"""Table writes to a named changelog partition, whatever message is being processed.

A worker's tables are :class:`~cxpulse.streams.changelog.DeferredChangelog`\\ s, whose
plain assignment writes to the partition of the event being processed; state written
for another partition (a ticket's breach mark when another partition's event moves
"now", a batch's offsets records at its end) names it. A plain dict just stores it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any


def put(table: MutableMapping[str, Any], key: str, value: Any, partition: int) -> None:
    write = getattr(table, "put", None)
    if write is None:
        table[key] = value
    else:
        write(key, value, partition)


def delete(table: MutableMapping[str, Any], key: str, partition: int) -> None:
    remove = getattr(table, "delete", None)
    if remove is None:
        table.pop(key, None)
    else:
        remove(key, partition)
