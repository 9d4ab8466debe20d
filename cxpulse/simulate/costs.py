"""Costs: every hour, ad spend and clicks per paid source and the service desk's cost."""

from __future__ import annotations

import math
from collections.abc import Iterator

from cxpulse.simulate.base import Timed, Traffic, diurnal

ADS = {"paid": 420.0, "social": 150.0, "email": 40.0, "tiktok": 20.0}
"""Average ad spend per hour per source (tiktok is outside the list: ``other``)."""
COST_PER_CLICK = {"paid": 0.8, "social": 0.5, "email": 0.1, "tiktok": 0.6}


class CostTraffic(Traffic):
    family = "cost"
    source = "simulator/billing"

    def __init__(self, seed: int, service_per_hour: float) -> None:
        super().__init__(seed, 1.0)
        self.service_per_hour = service_per_hour

    def timed(self, start: float, end: float) -> Iterator[Timed]:
        """One batch of records at the start of each hour in [start, end)."""
        for hour in range(math.ceil(start / 3600), math.ceil(end / 3600)):
            yield from self.life(hour * 3600.0)

    def life(self, t: float) -> list[Timed]:
        rng = self.rng
        load = diurnal(t + 1800)
        events = []
        for source, spend in ADS.items():
            amount = round(spend * load * rng.uniform(0.7, 1.3), 2)
            clicks = int(amount / COST_PER_CLICK[source] * rng.uniform(0.8, 1.2))
            events.append(self.event("cost.recorded", t, {
                "kind": "ads", "source": source, "amount": amount, "clicks": clicks}))
        events.append(self.event("cost.recorded", t, {
            "kind": "service", "source": "direct",
            "amount": round(self.service_per_hour * load, 2)}))
        return events
