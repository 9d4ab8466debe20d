"""The agents' family: :class:`HistoryFamily` with each agent's history kept short.

An agent works for months, so unlike a contact or a session its history never ends
by itself; what the windows need is its last day. Entries whose state ended more than
:data:`KEEP_SECONDS` before the agent's newest event are dropped as the agent's
events arrive (the history's first kept entry still gives the state that runs into
the kept span), so one agent's record stays about two days of its state changes.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

import orjson

from cxpulse.core.agents import AgentArithmetic
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.sorted_history import HIST, SIZE, TIME
from cxpulse.schemas.events import Event

KEEP_SECONDS = 48 * 3600.0
"""Twice the longest window: a partition's "now" may trail its newest event."""


class AgentFamily(HistoryFamily):
    arithmetic: AgentArithmetic

    def apply(self, event: Event, partition: int, now_before: float | None) -> None:
        key = str(event.data["agent_id"])
        record = self.histories.get(key)
        if record is not None and len(record[HIST]) > 1:
            newest = max(event.time, float(record[HIST][-1][TIME]))
            self._trim(key, record, newest - KEEP_SECONDS)
        super().apply(event, partition, now_before)

    def _trim(self, key: str, record: list[Any], cut: float) -> None:
        """Drop the entries whose state ended before ``cut`` (the next one began)."""
        history = record[HIST]
        if history[1][TIME] >= cut:
            return
        ended = bisect_left(history, cut, lo=1, key=lambda e: float(e[TIME])) - 1
        dropped = history[:ended]
        del history[:ended]
        record[SIZE] = max(0, record[SIZE] - sum(len(orjson.dumps(e)) + 1 for e in dropped))
        self.histories[key] = record
