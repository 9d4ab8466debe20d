"""Each metric family's collector fails alone.

A scrape asks every family for its series; an exception in one of them (a bug, an
overflow the contract's bounds did not foresee) must not turn the whole endpoint
into a 500 and take every other family's series, and the alerts on them, away.
The failing family's series are left out of that scrape, the failure is counted in
``cx_collector_errors_total{family}``, and logged at most once a minute per family.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

LOG_EVERY = 60.0
"""Seconds between two log lines about the same family's failures."""


class CollectorGuard(Collector):
    """Runs collectors by family, and exports how often each one failed."""

    METRICS: ClassVar[tuple[str, ...]] = ("cx_collector_errors_total",)

    def __init__(self) -> None:
        self.errors: Counter[str] = Counter()
        self._logged: dict[str, float] = {}

    def run(self, family: str, produce: Callable[[], Iterable[Metric]]) -> list[Metric]:
        """The family's metrics, or none if producing them raised."""
        try:
            return list(produce())
        except Exception as exc:
            self.errors[family] += 1
            now = time.monotonic()
            if now - self._logged.get(family, -LOG_EVERY) >= LOG_EVERY:
                self._logged[family] = now
                log.error("collecting %s metrics raised %s (%d times so far); its series "
                          "are left out of the scrape", family, type(exc).__name__,
                          self.errors[family], exc_info=True)
            return []

    def guarded(self, family: str, collector: Collector) -> Collector:
        """``collector`` whose failures cost only its own series."""
        return _Guarded(self, family, collector)

    def collect(self) -> Iterator[Metric]:
        errors = CounterMetricFamily("cx_collector_errors", "Scrapes that left a metric "
                                     "family's series out because collecting them raised",
                                     labels=["family"])
        for family, n in sorted(self.errors.items()):
            errors.add_metric([family], n)
        yield errors


class _Guarded(Collector):
    def __init__(self, guard: CollectorGuard, family: str, collector: Collector) -> None:
        self.guard = guard
        self.family = family
        self.collector = collector

    def collect(self) -> Iterator[Metric]:
        yield from self.guard.run(self.family, self.collector.collect)
