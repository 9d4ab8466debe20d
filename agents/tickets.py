"""The ticket agent (``cx.tickets``): ticket histories keyed by ticket_id."""

from __future__ import annotations

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.ticket_family import TicketFamily


class TicketAgent(HistoryAgent[TicketFamily]):
    topic = "cx.tickets"
    histories_table = "ticket-histories"

    def build_family(self) -> TicketFamily:
        s = self.settings
        return TicketFamily(self.ingest.admission, self.histories, s.sla, s.ticket_retention,
                            s.ticket_max_open_age, s.entity_limits)
