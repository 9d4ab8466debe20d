"""The ratios that join two families, named and in one place.

Each part is taken at its own topic's "now" (docs/families.md): conversions and
sessions are both keyed by user_id, so one worker holds both parts of its users;
costs are keyed by source and resolutions by ticket, so on several workers these
two ratios are for the recording rules, which divide the summed components.

- ``cx_conversion_ratio``: conversions ÷ sessions started, same window and source;
- ``cx_cost_per_conversion``: ads cost ÷ conversions, same window and source;
- ``cx_cost_per_resolution``: service cost ÷ ticket resolutions, same window.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from cxpulse.collectors.common import Windows, add_ratio, field_sum, gauge, windows_of
from cxpulse.core import conversions as v
from cxpulse.core import costs as k
from cxpulse.core import sessions as s
from cxpulse.core.dimensions import SOURCES
from cxpulse.core.facts import MICRO
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.tickets import N_RESOLVED, TicketIndex
from cxpulse.core.windows import WINDOWS, window_buckets


def ticket_resolutions(index: TicketIndex) -> dict[str, int] | None:
    """Resolutions per window, summed over the ticket buckets."""
    if index.now is None:
        return None
    buckets = index.sums.buckets
    return {name: sum(t.counts[N_RESOLVED] for b in window_buckets(index.now, size)
                      for t in buckets.get(b, {}).values())
            for name, size in WINDOWS.items()}


class CrossFamilyRatios(Collector):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_conversion_ratio", "cx_cost_per_conversion", "cx_cost_per_resolution")

    def __init__(self, sessions: HistoryFamily, conversions: HistoryFamily,
                 costs: HistoryFamily, tickets: TicketIndex) -> None:
        self.sessions = sessions
        self.conversions = conversions
        self.costs = costs
        self.tickets = tickets

    def collect(self) -> Iterator[Metric]:
        sessions, conversions = windows_of(self.sessions), windows_of(self.conversions)
        costs, resolutions = windows_of(self.costs), ticket_resolutions(self.tickets)
        labels = ["window", "source"]
        ratio = gauge("cx_conversion_ratio", "Conversions / sessions started, same window "
                      "and source", labels)
        per_conversion = gauge("cx_cost_per_conversion", "Ads cost / conversions", labels)
        per_resolution = gauge("cx_cost_per_resolution", "Service cost / ticket "
                               "resolutions", ["window"])
        for window in WINDOWS:
            for source in SOURCES:
                n = conversion_count(conversions, window, source)
                if sessions is not None and n is not None:
                    add_ratio(ratio, [window, source], n,
                              field_sum(sessions, window, s.N_STARTED, (source,)))
                if costs is not None and n is not None:
                    add_ratio(per_conversion, [window, source],
                              field_sum(costs, window, k.N_AMOUNT, ("ads", source)) / MICRO, n)
            if costs is not None and resolutions is not None:
                add_ratio(per_resolution, [window],
                          field_sum(costs, window, k.N_AMOUNT, ("service",)) / MICRO,
                          resolutions[window])
        if conversions is not None:
            yield ratio
        if costs is not None:
            yield from (per_conversion, per_resolution)


def conversion_count(conversions: Windows | None, window: str, source: str) -> int | None:
    if conversions is None:
        return None
    return field_sum(conversions, window, v.N_CONVERSIONS, (source,))
