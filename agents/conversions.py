"""The conversions agent (``cx.conversions``): each conversion kept for 25 h by id.

Keyed by user_id like ``cx.sessions``, with the same partition count: Faust assigns
a worker the same partitions of both topics, so its conversion ratio joins the
sessions of the same users.
"""

from __future__ import annotations

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.conversions import ConversionArithmetic
from cxpulse.core.history_family import HistoryFamily


class ConversionAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.conversions"

    def build_family(self) -> HistoryFamily:
        return HistoryFamily(self.ingest.admission, self.histories, ConversionArithmetic(),
                             self.settings.history_retention,
                             self.settings.entity_limits)
