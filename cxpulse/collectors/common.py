"""What every family collector uses: its windows at its own topic's "now"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cxpulse.core.facts import Labels, Totals
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.sketch import Sketch
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.windows import WINDOWS, window_buckets
from cxpulse.metrics_text import Samples, SummaryRow

Windows = dict[str, dict[Labels, Totals]]
QUANTILES = (0.5, 0.9, 0.99)


def add_ratio(family: GaugeMetricFamily, labels: list[str], num: float, den: float) -> None:
    if den > 0:
        family.add_metric(labels, num / den)


def summary_family(name: str, doc: str,
                   rows: Iterable[tuple[dict[str, str], Sketch, Sketch | None]]) -> Metric:
    """Rows of (labels, this worker's samples, the team's samples or None).

    ``_sum`` and ``_count`` are this worker's (they add up over workers); the quantile
    series come from the team's samples, on the one worker that owns them.
    """
    family = Metric(name, doc, "summary")
    for labels, sketch, team in rows:
        if team is not None and team.count:
            for q, value in zip(QUANTILES, team.quantiles(QUANTILES), strict=True):
                family.add_sample(name, {**labels, "quantile": str(q)}, value)
        family.add_sample(name + "_sum", labels, sketch.total)
        family.add_sample(name + "_count", labels, sketch.count)
    return family


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


class FamilySeries(Collector):
    """What :mod:`cxpulse.families` knows of a family's collector."""

    METRICS: ClassVar[tuple[str, ...]] = ()
    """The names its series have in the exposition (counters with ``_total``)."""

    def __init__(self, family: Any, team: TeamQuantiles | None = None) -> None:
        self.team = team

    @staticmethod
    def summary(samples: Samples) -> list[SummaryRow]:
        """Its rows of ``cxpulse replay``'s final summary."""
        return []

    def team_windows(self, family: str, now: float) -> Windows | None:
        """The team's windows of ``family``, or None on a worker that does not own them."""
        team = self.team
        return team.windows(family, now) if team is not None and team.owned() else None

    def team_day_windows(self, family: str, days: dict[str, range]) -> Windows | None:
        """The same over windows of local days (:data:`team_quantiles.DAY_BINNED`)."""
        team = self.team
        return team.day_windows(family, days) if team is not None and team.owned() else None

    @staticmethod
    def team_sketch(windows: Windows | None, window: str,
                    labels: Labels, index: int) -> Sketch | None:
        """Sketch ``index`` of ``labels`` in the team's ``windows`` (None: not the owner)."""
        if windows is None:
            return None
        totals = windows[window].get(labels)
        return totals.sketches[index] if totals is not None else Sketch()


class FamilyCollector(FamilySeries, Generic[F]):
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
