"""The costs agent (``cx.costs``): each cost record kept for 25 h by id."""

from __future__ import annotations

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.costs import CostArithmetic
from cxpulse.core.history_family import HistoryFamily


class CostAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.costs"

    def build_family(self) -> HistoryFamily:
        return HistoryFamily(self.ingest.admission, self.histories, CostArithmetic(),
                             self.settings.history_retention,
                             self.settings.entity_limits)
