"""cx.costs: ads and service cost, clicks, cost per click (the costs per
conversion and per resolution join other families: :mod:`cross_family`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import Metric

from cxpulse.collectors.common import FamilyCollector, Windows, add_ratio, field_sum, gauge
from cxpulse.core import costs as k
from cxpulse.core.dimensions import SOURCES
from cxpulse.core.facts import MICRO
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.windows import WINDOWS
from cxpulse.metrics_text import W24, Samples, SummaryRow, money_text, total


class CostCollector(FamilyCollector[HistoryFamily]):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_cost_per_click", "cx_ads_cost", "cx_ad_clicks", "cx_service_cost")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        return [("ads cost (24h)", money_text(total(s, "cx_ads_cost", **W24))),
                ("service cost (24h)", money_text(total(s, "cx_service_cost", **W24)))]

    def series(self, windows: Windows, now: float) -> Iterator[Metric]:
        labels = ["window", "source"]
        ads = gauge("cx_ads_cost", "Ads cost in the window", labels)
        clicks = gauge("cx_ad_clicks", "Ad clicks in the window", labels)
        service = gauge("cx_service_cost", "Service cost in the window", ["window"])
        per_click = gauge("cx_cost_per_click", "Ads cost / clicks", labels)
        for window in WINDOWS:
            for source in SOURCES:
                cost = field_sum(windows, window, k.N_AMOUNT, ("ads", source)) / MICRO
                n_clicks = field_sum(windows, window, k.N_CLICKS, ("ads", source))
                ads.add_metric([window, source], cost)
                clicks.add_metric([window, source], n_clicks)
                add_ratio(per_click, [window, source], cost, n_clicks)
            service.add_metric([window], field_sum(windows, window, k.N_AMOUNT, ("service",))
                               / MICRO)
        yield from (ads, clicks, service, per_click)
