"""Kafka reachability as seen from the worker, exported as ``cx_kafka_up``.

The worker keeps serving ``/metrics`` (with the last values) while Kafka is away and
reconnects by itself; these series tell an operator that the numbers are stale.
A TCP connect to the bootstrap servers every ``interval`` seconds is the probe: it
needs no Faust internals and fails exactly when the broker is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import ClassVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cxpulse.addresses import servers

log = logging.getLogger(__name__)


class KafkaProbe(Collector):
    """Probes the bootstrap servers and exports the outcome."""

    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_kafka_up", "cx_kafka_up_changed_seconds", "cx_kafka_outages_total")

    def __init__(self, bootstrap: str, interval: float = 2.0, timeout: float = 2.0) -> None:
        self.servers = servers(bootstrap)
        self.interval = interval
        self.timeout = timeout
        self.up = True
        self.outages = 0
        self.since = time.time()
        """Unix time of the last change of ``up``."""

    async def probe_once(self) -> bool:
        for host, port in self.servers:
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), self.timeout)
            except (OSError, TimeoutError):
                continue
            writer.close()
            return True
        return False

    async def run(self) -> None:
        while True:
            up = await self.probe_once()
            if up != self.up:
                self.up, self.since = up, time.time()
                if up:
                    log.warning("Kafka is reachable again; the worker catches up by itself")
                else:
                    self.outages += 1
                    log.warning("Kafka is unreachable; /metrics keeps the last values")
            await asyncio.sleep(self.interval)

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily("cx_kafka_up", "1 when the worker reaches a Kafka bootstrap "
                                "server (probed every few seconds), else 0: numbers are stale",
                                value=1.0 if self.up else 0.0)
        yield GaugeMetricFamily("cx_kafka_up_changed_seconds", "Unix time cx_kafka_up last "
                                "changed (the worker's start if never)", value=self.since)
        yield CounterMetricFamily("cx_kafka_outages", "Times Kafka became unreachable since "
                                  "the worker started", value=self.outages)
