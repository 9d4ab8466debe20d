"""The surveys agent (``cx.surveys``): each answer kept for 25 h by id."""

from __future__ import annotations

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.surveys import SurveyArithmetic


class SurveyAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.surveys"

    def build_family(self) -> HistoryFamily:
        return HistoryFamily(self.ingest.admission, self.histories, SurveyArithmetic(),
                             self.settings.history_retention,
                             self.settings.entity_limits)
