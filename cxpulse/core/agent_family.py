"""The agents' family: :class:`HistoryFamily` with each agent's history kept short.

An agent works for months, so unlike a contact or a session its history never ends
by itself; what the windows need is its last day. Entries whose state ended more than
:data:`KEEP_SECONDS` before the agent's newest event are dropped as the agent's
events arrive (the history's first kept entry still gives the state that runs into
the kept span), so one agent's record stays about two days of its state changes.
"""

from __future__ import annotations

from bisect import bisect_left

import orjson

from cxpulse.core.agents import AgentArithmetic
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.sorted_history import TIME
from cxpulse.schemas.events import Event

KEEP_SECONDS = 48 * 3600.0
"""Twice the longest window: a partition's "now" may trail its newest event."""


class AgentFamily(HistoryFamily):
    arithmetic: AgentArithmetic

    def apply(self, event: Event, partition: int, now_before: float | None) -> None:
        key, _ = self.arithmetic.entry(event)
        self._trim(key, max(event.time, self._newest(key)) - KEEP_SECONDS)
        super().apply(event, partition, now_before)

    def _newest(self, key: str) -> float:
        record = self.histories.get(key)
        return float(record["h"][-1][TIME]) if record is not None and record["h"] else 0.0

    def _trim(self, key: str, cut: float) -> None:
        """Drop the entries whose state ended before ``cut`` (the next one began)."""
        record = self.histories.get(key)
        if record is None or len(record["h"]) < 2 or record["h"][1][TIME] >= cut:
            return
        history = record["h"]
        ended = bisect_left(history, cut, lo=1, key=lambda e: float(e[TIME])) - 1
        dropped = history[:ended]
        del history[:ended]
        record["n"] = max(0, record.get("n", 0) - sum(len(orjson.dumps(e)) + 1
                                                      for e in dropped))
        self.histories[key] = record
