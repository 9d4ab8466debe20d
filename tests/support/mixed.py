"""Every family's pure pipeline in-process over recorded lines (no Kafka, no Faust).

Lines are routed and partitioned exactly as ``cxpulse publish`` does, then fed to
the same family objects a worker builds, over dicts, with the real collectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import generate_latest

from cxpulse.collectors.ingest import IngestCollector
from cxpulse.config import Settings
from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.agent_family import AgentFamily
from cxpulse.core.agents import AgentArithmetic
from cxpulse.core.contacts import ContactArithmetic
from cxpulse.core.conversions import ConversionArithmetic
from cxpulse.core.costs import CostArithmetic
from cxpulse.core.customer_family import CustomerFamily
from cxpulse.core.history_family import Arithmetic, HistoryFamily
from cxpulse.core.repeat_contacts import RepeatContacts, in_time_order
from cxpulse.core.session_family import SessionFamily
from cxpulse.core.surveys import SurveyArithmetic
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.exporter import build_registry
from cxpulse.families import EVENT_TOPICS, family_collectors
from cxpulse.metrics_text import SampleKey, parse
from cxpulse.publishing import Routed, route

_PARTITIONER = DefaultPartitioner()


class MixedPipeline:
    """Every topic's family over dicts; ``tables`` holds every "table"."""

    def __init__(self, settings: Settings | None = None, partitions: int = 6) -> None:
        self.settings = settings = settings or Settings(clock="replay")
        self.partitions = list(range(partitions))
        self.stats = IngestStats()
        self.tables: dict[str, dict[str, Any]] = {}
        self.admissions = {topic: Admission(topic, self.stats, self.table(f"{topic}-seen"),
                                            replay_clock=settings.clock == "replay",
                                            dedupe_horizon=settings.dedupe_horizon)
                           for topic in EVENT_TOPICS}
        self.tickets = TicketFamily(self.admissions["cx.tickets"], self.table("tickets"),
                                    settings.sla, settings.ticket_retention,
                                    settings.ticket_max_open_age)
        self.sessions = SessionFamily(self.admissions["cx.sessions"], self.table("sessions"),
                                      self.table("users"), ZoneInfo(settings.timezone),
                                      settings.history_retention)
        self.contact_arithmetic = ContactArithmetic(settings.contacts)
        self.contacts = self._family("cx.contacts", self.contact_arithmetic)
        self.repeats = RepeatContacts(self.table("contact-answers"),
                                      settings.contacts.repeat_window)
        self.contact_arithmetic.repeats = self.repeats
        self.conversions = self._family("cx.conversions", ConversionArithmetic())
        self.surveys = self._family("cx.surveys", SurveyArithmetic())
        self.costs = self._family("cx.costs", CostArithmetic())
        self.customers = CustomerFamily(self.admissions["cx.customers"], self.table("customers"),
                                        ZoneInfo(settings.timezone), settings.gross_margin)
        self.agents = AgentFamily(self.admissions["cx.agents"], self.table("cx.agents"),
                                  AgentArithmetic(settings.agent_offline_after),
                                  settings.history_retention)
        self.families: dict[str, TicketFamily | HistoryFamily] = {
            "cx.tickets": self.tickets, "cx.sessions": self.sessions,
            "cx.contacts": self.contacts, "cx.conversions": self.conversions,
            "cx.surveys": self.surveys, "cx.costs": self.costs, "cx.customers": self.customers,
            "cx.agents": self.agents}
        self.team = TeamQuantiles(self.table("team-samples"))
        self.registry = build_registry([
            IngestCollector(self.stats, list(self.admissions.values())),
            *(c for _, c in family_collectors(
                {topic.removeprefix("cx."): f for topic, f in self.families.items()},
                self.team))])

    def table(self, name: str) -> dict[str, Any]:
        return self.tables.setdefault(name, {})

    def _family(self, topic: str, arithmetic: Arithmetic) -> HistoryFamily:
        return HistoryFamily(self.admissions[topic], self.table(topic), arithmetic,
                             self.settings.history_retention)

    def feed(self, lines: Iterable[bytes], batch: int = 1) -> list[str]:
        """Feed lines, keyed as ``cxpulse publish`` keys them; return the reasons of the
        rejected ones (unroutable: skipped). ``batch`` > 1 feeds them as the agents
        do: each family refreshes an entity once per batch of that many lines."""
        reasons = []
        for n, line in enumerate(lines):
            if batch > 1 and n % batch == 0:
                self._end_batch()
                for family in self.families.values():
                    family.begin_batch()
            routed = route(line, self.settings)
            if not isinstance(routed, Routed):
                continue
            partition = int(_PARTITIONER(routed.key, self.partitions, self.partitions))
            family = self.families[routed.topic]
            rejection = family.handle(routed.value, partition, key=routed.key)
            if rejection is not None:
                reasons.append(rejection.reason)
            if batch == 1:
                self._deliver(routed.topic, family)
        if batch > 1:
            self._end_batch()
        return reasons

    def _end_batch(self) -> None:
        for topic, family in self.families.items():
            family.end_batch()
            self._deliver(topic, family)

    def _deliver(self, topic: str, family: HistoryFamily | TicketFamily) -> None:
        """What the agents send to the team-quantile owner, delivered at once."""
        for entity, samples in family.outbox:
            self.team.receive(topic.removeprefix("cx."), entity, samples)
        family.outbox.clear()
        if topic == "cx.contacts":  # the answers, to their customer's partition
            answers, self.contact_arithmetic.answers = self.contact_arithmetic.answers, []
            for customer, contact, answered, channel in in_time_order(answers):
                key = customer.encode()
                partition = int(_PARTITIONER(key, self.partitions, self.partitions))
                self.repeats.receive(customer, contact, answered, channel, partition)

    def rebuild(self) -> None:
        """What a restarted worker owning every partition does after recovery."""
        for family in self.families.values():
            family.rebuild(set(self.partitions))
        self.team.rebuild()
        self.repeats.rebuild(set(self.partitions))
        for topic, family in self.families.items():  # what a rebuild sends again
            self._deliver(topic, family)

    def samples(self) -> dict[SampleKey, float]:
        return parse(generate_latest(self.registry).decode())
