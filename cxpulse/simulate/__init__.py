"""Realistic traffic of every family for demos, tests and benchmarks (no Kafka here).

``--rate`` is tickets per hour (a day's average); the other families scale with it
(see :data:`PER_TICKET`), all following the same diurnal curve.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cxpulse.simulate.base import Timed, Traffic, rfc3339, time_sorted
from cxpulse.simulate.contacts import ContactTraffic
from cxpulse.simulate.costs import CostTraffic
from cxpulse.simulate.surveys import SurveyTraffic
from cxpulse.simulate.tickets import TicketTraffic
from cxpulse.simulate.web import WebTraffic

__all__ = ["MixedTraffic", "TicketTraffic", "Timed", "rfc3339"]

PER_TICKET = {"contacts": 1.5, "sessions": 4.0, "surveys": 0.3}
"""Entities per hour of each family for one ticket per hour."""
SERVICE_COST_PER_TICKET = 2.5


class MixedTraffic:
    """Every family together; ``families`` picks some (default: all)."""

    FAMILIES = ("tickets", "contacts", "sessions", "surveys", "costs")

    def __init__(self, seed: int = 1, tickets_per_hour: float = 600.0,
                 families: tuple[str, ...] = FAMILIES) -> None:
        rate = tickets_per_hour
        makers: dict[str, Traffic] = {
            "tickets": TicketTraffic(seed, rate),
            "contacts": ContactTraffic(seed, rate * PER_TICKET["contacts"]),
            "sessions": WebTraffic(seed, rate * PER_TICKET["sessions"]),
            "surveys": SurveyTraffic(seed, rate * PER_TICKET["surveys"]),
            "costs": CostTraffic(seed, rate * SERVICE_COST_PER_TICKET),
        }
        unknown = set(families) - set(makers)
        if unknown:
            raise ValueError(f"unknown families: {', '.join(sorted(unknown))}")
        self.parts = [makers[f] for f in families]

    def timed(self, start: float, end: float) -> Iterator[Timed]:
        """Events of everything arriving in [start, end), some of them after ``end``."""
        for part in self.parts:
            yield from part.timed(start, end)

    def history(self, start: float, end: float) -> list[dict[str, Any]]:
        """Every event with time in [start, end) of what arrived then, time-sorted."""
        return time_sorted(self.timed(start, end), end)
