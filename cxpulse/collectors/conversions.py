"""cx.conversions: conversions and their value (their ratio to sessions is in
:mod:`cross_family`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import Metric

from cxpulse.collectors.common import FamilyCollector, Windows, field_sum, gauge
from cxpulse.core import conversions as v
from cxpulse.core.dimensions import SOURCES
from cxpulse.core.facts import MICRO
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.windows import WINDOWS
from cxpulse.metrics_text import W24, Samples, SummaryRow, count_text, money_text, ratio_text, total


class ConversionCollector(FamilyCollector[HistoryFamily]):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_conversions", "cx_conversion_value")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        conversions = total(s, "cx_conversions", **W24)
        return [("conversions (24h)", count_text(conversions)),
                ("conversion ratio (24h)",
                 ratio_text(conversions, total(s, "cx_sessions_started", **W24), 100, " %")),
                ("value (24h)", money_text(total(s, "cx_conversion_value", **W24)))]

    def series(self, windows: Windows, now: float) -> Iterator[Metric]:
        labels = ["window", "source"]
        count = gauge("cx_conversions", "Conversions in the window", labels)
        value = gauge("cx_conversion_value", "Sum of conversion values in the window", labels)
        for window in WINDOWS:
            for source in SOURCES:
                count.add_metric([window, source],
                                 field_sum(windows, window, v.N_CONVERSIONS, (source,)))
                value.add_metric([window, source],
                                 field_sum(windows, window, v.N_VALUE, (source,)) / MICRO)
        yield from (count, value)
