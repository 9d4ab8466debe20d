"""The contacts agent (``cx.contacts``): contact histories keyed by contact_id."""

from __future__ import annotations

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.contacts import ContactArithmetic
from cxpulse.core.history_family import HistoryFamily


class ContactAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.contacts"

    def build_family(self) -> HistoryFamily:
        return HistoryFamily(self.ingest.admission, self.histories,
                             ContactArithmetic(self.settings.contacts),
                             self.settings.history_retention,
                             self.settings.entity_limits)
