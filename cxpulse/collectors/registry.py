"""Every family's collector, by the family name it fails alone under."""

from __future__ import annotations

from prometheus_client.registry import Collector

from cxpulse.collectors.contacts import ContactCollector
from cxpulse.collectors.conversions import ConversionCollector
from cxpulse.collectors.costs import CostCollector
from cxpulse.collectors.cross_family import CrossFamilyRatios
from cxpulse.collectors.sessions import SessionCollector
from cxpulse.collectors.surveys import SurveyCollector
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.session_family import SessionFamily
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.tickets import TicketIndex


def family_collectors(contacts: HistoryFamily, sessions: SessionFamily,
                      conversions: HistoryFamily, surveys: HistoryFamily, costs: HistoryFamily,
                      tickets: TicketIndex, team: TeamQuantiles | None = None,
                      ) -> list[tuple[str, Collector]]:
    """(family, collector) of every family but tickets, and of the cross-family ratios."""
    return [("contacts", ContactCollector(contacts, team)),
            ("sessions", SessionCollector(sessions, team)),
            ("conversions", ConversionCollector(conversions)),
            ("surveys", SurveyCollector(surveys)),
            ("costs", CostCollector(costs)),
            ("cross_family", CrossFamilyRatios(sessions, conversions, costs, tickets))]
