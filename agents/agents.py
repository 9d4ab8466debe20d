"""The agents' agent (``cx.agents``): agent state histories keyed by agent_id."""

from __future__ import annotations

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.agent_family import AgentFamily
from cxpulse.core.agents import AgentArithmetic
from cxpulse.core.history_family import HistoryFamily


class AgentStateAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.agents"

    def build_family(self) -> HistoryFamily:
        return AgentFamily(self.ingest.admission, self.histories,
                           AgentArithmetic(self.settings.agent_offline_after),
                           self.settings.history_retention, self.settings.entity_limits)
