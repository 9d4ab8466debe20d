"""cx_events_* counters and cx_watermark_seconds: every topic's admission."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cxpulse.core.admission import Admission, IngestStats
from cxpulse.metrics_text import Samples, SummaryRow, count_text, total


class IngestCollector(Collector):
    """cx_events_* counters and cx_watermark_seconds, for every topic."""

    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_events_total", "cx_events_rejected_total", "cx_events_duplicate_total",
        "cx_events_late_total", "cx_watermark_seconds")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        return [("accepted", count_text(total(s, "cx_events_total"))),
                ("rejected (dead-lettered)", count_text(total(s, "cx_events_rejected_total"))),
                ("duplicates", count_text(total(s, "cx_events_duplicate_total"))),
                ("late", count_text(total(s, "cx_events_late_total")))]

    def __init__(self, stats: IngestStats, admissions: Sequence[Admission]) -> None:
        self.stats = stats
        self.admissions = admissions

    def collect(self) -> Iterable[Metric]:
        s = self.stats
        accepted = CounterMetricFamily("cx_events", "Valid events seen for the first time "
                                       "(late ones included)", labels=["topic", "event_type"])
        for (topic, event_type), n in sorted(s.accepted.items()):
            accepted.add_metric([topic, event_type], n)
        rejected = CounterMetricFamily("cx_events_rejected", "Bad events, sent to the "
                                       "dead-letter topic", labels=["topic", "reason"])
        for (topic, reason), n in sorted(s.rejected.items()):
            rejected.add_metric([topic, reason], n)
        duplicate = CounterMetricFamily("cx_events_duplicate", "Events whose id was already "
                                        "seen within the dedupe horizon", labels=["topic"])
        late = CounterMetricFamily("cx_events_late", "Events older than the oldest bucket "
                                   "still kept (now - 24h - 1m); not aggregated", labels=["topic"])
        watermark = GaugeMetricFamily("cx_watermark_seconds", "The topic's event-time "
                                      "watermark, as Unix seconds", labels=["topic"])
        for admission in self.admissions:
            topic = admission.topic
            duplicate.add_metric([topic], s.duplicate[topic])
            late.add_metric([topic], s.late[topic])
            mark = admission.watermark.value()
            if mark is not None:
                watermark.add_metric([topic], mark)
        yield from (accepted, rejected, duplicate, late, watermark)
