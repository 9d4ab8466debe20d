"""What every family collector uses: its windows at its own topic's "now"."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cxpulse.core.facts import Labels, Totals
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.windows import WINDOWS, window_buckets

Windows = dict[str, dict[Labels, Totals]]


def windows_of(family: HistoryFamily) -> Windows | None:
    """The family's windows ending at its "now" (None before its first event)."""
    now = family.now()
    if now is None:
        return None
    family.tick()
    return {name: family.index.window(window_buckets(now, size))
            for name, size in WINDOWS.items()}


def field_sum(windows: Windows, window: str, field: int,
              match: Sequence[str | None] = ()) -> int:
    """Sum of a field over the label sets matching ``match`` (None: any value)."""
    total = 0
    for labels, totals in windows[window].items():
        if all(m is None or m == value for m, value in zip(match, labels, strict=False)):
            total += totals.sums[field]
    return total


def gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


F = TypeVar("F", bound=HistoryFamily)


class FamilyCollector(Collector, Generic[F]):
    """One family's series, from its windows at its own "now" (none before its first
    event); ``team`` gives the quantiles on the worker that owns them."""

    def __init__(self, family: F, team: TeamQuantiles | None = None) -> None:
        self.family = family
        self.team = team

    def collect(self) -> Iterator[Metric]:
        windows = windows_of(self.family)
        now = self.family.now()
        if windows is not None and now is not None:
            yield from self.series(windows, now)

    def series(self, windows: Windows, now: float) -> Iterator[Metric]:
        raise NotImplementedError
