"""The customers agent (``cx.customers``): customer histories and their day totals.

Events are keyed by customer_id, so a customer's subscriptions and complaints live on
one partition, hence one worker: the counts and the ratios' components add up over
workers.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.customer_family import CustomerFamily
from cxpulse.core.history_family import HistoryFamily


class CustomerAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.customers"

    def build_family(self) -> HistoryFamily:
        return CustomerFamily(self.ingest.admission, self.histories,
                              ZoneInfo(self.settings.timezone), self.settings.gross_margin,
                              self.settings.entity_limits)
