"""The families, one line each: the table the worker, ``replay``, the simulator, the
live page and the docs' metric list are driven by (docs/architecture.md).

A line names the family's Faust agent (which names its topic and builds its pure
arithmetic from ``cxpulse/core``), its collector (which lists the series it exports
and its rows of ``cxpulse replay``'s summary), its simulator part and its live-page
tiles. The broker's topics follow the lines (:func:`broker_topics`); event types and
schema files come from the contract (``schemas/json``), which ``check`` and ``publish``
validate against; every topic of the contract must have exactly one line here, or
nothing starts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.registry import Collector

from cxpulse.agents.agents import AgentStateAgent
from cxpulse.agents.contacts import ContactAgent
from cxpulse.agents.conversions import ConversionAgent
from cxpulse.agents.costs import CostAgent
from cxpulse.agents.customers import CustomerAgent
from cxpulse.agents.history import Family, HistoryAgent
from cxpulse.agents.sessions import SessionAgent
from cxpulse.agents.surveys import SurveyAgent
from cxpulse.agents.tickets import TicketAgent
from cxpulse.collectors.agents import AgentCollector
from cxpulse.collectors.common import FamilySeries
from cxpulse.collectors.contacts import ContactCollector
from cxpulse.collectors.conversions import ConversionCollector
from cxpulse.collectors.costs import CostCollector
from cxpulse.collectors.cross_family import CrossFamilyRatios
from cxpulse.collectors.customers import CustomerCollector
from cxpulse.collectors.sessions import SessionCollector
from cxpulse.collectors.surveys import SurveyCollector
from cxpulse.collectors.tickets import TicketCollector
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.schemas.contract import CONTRACTS, TOPIC_TYPES
from cxpulse.simulate.agents import AgentTraffic
from cxpulse.simulate.base import Traffic
from cxpulse.simulate.contacts import ContactTraffic
from cxpulse.simulate.costs import CostTraffic
from cxpulse.simulate.customers import CustomerTraffic
from cxpulse.simulate.surveys import SurveyTraffic
from cxpulse.simulate.tickets import TicketTraffic
from cxpulse.simulate.web import WebTraffic
from cxpulse.streams.topics import DEADLETTER


@dataclass(frozen=True, slots=True)
class FamilyLine:
    agent: type[HistoryAgent[Any]]
    collector: type[FamilySeries]
    traffic: type[Traffic] | None
    """Its simulator part (None: another family's part makes its events)."""
    per_ticket: float
    """The simulator's entities per hour for one ticket per hour."""
    tiles: tuple[str, ...]
    """Its tiles' ids in ``cxpulse/livepage/app.js``."""

    @property
    def topic(self) -> str:
        return self.agent.topic

    @property
    def name(self) -> str:
        """Its collector guard's label, simulator part and replay summary heading: the
        topic's name without ``cx.``, as its agent and team quantiles call it."""
        return self.topic.removeprefix("cx.")

    @property
    def event_types(self) -> tuple[str, ...]:
        return TOPIC_TYPES[self.topic]

    @property
    def schema_files(self) -> tuple[str, ...]:
        return tuple(CONTRACTS[t].schema_file for t in self.event_types)


FAMILIES: tuple[FamilyLine, ...] = (
    FamilyLine(TicketAgent, TicketCollector, TicketTraffic, 1.0,
               ("backlog", "opened", "first_response_p90", "sla_attainment", "at_risk")),
    FamilyLine(ContactAgent, ContactCollector, ContactTraffic, 1.5,
               ("in_queue", "service_level", "abandonment")),
    FamilyLine(SessionAgent, SessionCollector, WebTraffic, 4.0, ("dau",)),
    FamilyLine(ConversionAgent, ConversionCollector, None, 0.0,
               ("conversion",)),  # conversions come from the web traffic's sessions
    FamilyLine(SurveyAgent, SurveyCollector, SurveyTraffic, 0.3, ("nps", "csat")),
    FamilyLine(CostAgent, CostCollector, CostTraffic, 2.5, ()),
    FamilyLine(CustomerAgent, CustomerCollector, CustomerTraffic, 0.2,
               ("customers", "churn_30d", "complaints_open")),
    FamilyLine(AgentStateAgent, AgentCollector, AgentTraffic, 0.02, ("agents", "occupancy")),
)


EVENT_TOPICS: tuple[str, ...] = tuple(line.topic for line in FAMILIES)
"""Default names of the topics upstream systems publish to, one per family."""


def broker_topics(prefix: str = "") -> list[str]:
    """Every topic the broker must have: each family's, then the dead-letter topic."""
    return [prefix + name for name in (*EVENT_TOPICS, DEADLETTER)]


def cross_family(families: Mapping[str, Any]) -> tuple[str, Collector]:
    """The ratios that join families (:mod:`cxpulse.collectors.cross_family`), by name."""
    return "cross_family", CrossFamilyRatios(families["sessions"], families["conversions"],
                                             families["costs"], families["tickets"].index)


def family_collectors(families: Mapping[str, Family], team: TeamQuantiles | None,
                      ) -> Iterator[tuple[str, Collector]]:
    """(guard label, collector) of every family, then of the cross-family ratios."""
    for line in FAMILIES:
        yield line.name, line.collector(families[line.name], team)
    yield cross_family(families)


def check_every_topic_has_a_family() -> None:
    if sorted(EVENT_TOPICS) != sorted(TOPIC_TYPES):
        raise RuntimeError(f"cxpulse/families.py has families for {sorted(EVENT_TOPICS)} but the "
                           f"contract (schemas/json) has topics {sorted(TOPIC_TYPES)}")


check_every_topic_has_a_family()
