"""Bounds on one entity's history, so one producer cannot take a worker down.

An entity's history (a ticket's events, a session's page views) is one changelog
record: without a bound, 20,000 events on one ticket_id grow it past Kafka's 1 MB
message limit, the producer fails, the worker exits, and a restart reads the same
batch again and fails again. Each new history entry is measured (and proven
serialisable) before it is applied; an entity at its cap refuses further events
as ``entity_too_large``, which go to the dead letters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from cxpulse.core.sorted_history import HIST, SIZE
from cxpulse.schemas.events import Rejection

TOO_LARGE = Rejection("entity_too_large")
UNSERIALISABLE = Rejection("unserialisable")
"""An entry the changelog could not store (never expected once the schema bounds hold)."""

RECORD_OVERHEAD = 64
"""Bytes of a history record besides its entries (partition, counters, braces)."""


@dataclass(frozen=True, slots=True)
class EntityLimits:
    """Per-entity caps (``[entities]`` in the TOML file)."""

    max_events: int = 2000
    max_bytes: int = 256 * 1024

    def refuse_for(self, records: Mapping[str, Any], key: str,
                   entry: list[Any]) -> tuple[Rejection | None, int]:
        """:meth:`refuse` for one more ``entry`` on ``key``'s history record."""
        record = records.get(key)
        if record is None:
            return self.refuse(0, 0, entry)
        return self.refuse(len(record[HIST]), record[SIZE], entry)

    def refuse(self, entries: int, size: int, entry: list[Any]) -> tuple[Rejection | None, int]:
        """(why not, or None; the entry's size) for one more ``entry`` on a history of
        ``entries`` entries and ``size`` bytes."""
        try:
            grows = len(orjson.dumps(entry)) + 1
        except (TypeError, orjson.JSONEncodeError):
            return UNSERIALISABLE, 0
        if entries >= self.max_events or size + grows + RECORD_OVERHEAD > self.max_bytes:
            return TOO_LARGE, grows
        return None, grows
