"""The worker's pure pipeline run in-process over recorded lines (no Kafka, no Faust)."""

from __future__ import annotations

from collections.abc import Iterable

import orjson
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import generate_latest

from cxpulse.collectors.ingest import IngestCollector
from cxpulse.collectors.tickets import TicketCollector
from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.core.tickets import SlaTargets
from cxpulse.exporter import build_registry
from cxpulse.metrics_text import SampleKey, parse

_PARTITIONER = DefaultPartitioner()


def partition_for(line: bytes, partitions: int) -> int:
    """Where ``cxpulse publish`` would put a line (murmur2 of the ticket id)."""
    try:
        key = orjson.loads(line)["data"]["ticket_id"].encode()
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        key = b""
    all_partitions = list(range(partitions))
    return int(_PARTITIONER(key, all_partitions, all_partitions))


class Pipeline:
    """Admission + ticket family over dicts, with the real collectors."""

    def __init__(self, targets: SlaTargets | None = None, retention: float = 7 * 86400.0,
                 partitions: int = 6, max_open_age: float = 90 * 86400.0) -> None:
        self.partitions = partitions
        self.stats = IngestStats()
        self.seen: dict[str, object] = {}
        self.histories: dict[str, object] = {}
        self.admission = Admission("cx.tickets", self.stats, self.seen,
                                   replay_clock=True, dedupe_horizon=3600.0)
        self.family = TicketFamily(self.admission, self.histories, targets or SlaTargets(),
                                   retention, max_open_age)
        self.team_samples: dict[str, object] = {}
        self.team = TeamQuantiles(self.team_samples)
        self.registry = build_registry([IngestCollector(self.stats, [self.admission]),
                                        TicketCollector(self.family, self.team)])

    def feed(self, lines: Iterable[bytes]) -> None:
        for line in lines:
            self.family.handle(line, partition_for(line, self.partitions))
            for ticket_id, samples in self.family.outbox:
                self.team.receive("tickets", ticket_id, samples)
            self.family.outbox.clear()

    def samples(self) -> dict[SampleKey, float]:
        return parse(generate_latest(self.registry).decode())
