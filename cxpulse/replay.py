"""``cxpulse replay FILE.jsonl``: the fastest way to see one's own data as metrics.

Publishes the file to a fresh set of topics (prefix ``replay-<time>.``, so a second
run does not count the first one's events), runs a replay-clock worker on them until
every topic's watermark reaches its final value, prints a summary of the final
metrics, and stops the worker.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import DefaultPartitioner
from tqdm import tqdm

from cxpulse.collectors.ingest import IngestCollector
from cxpulse.config import ConfigError, Settings
from cxpulse.families import FAMILIES, broker_topics
from cxpulse.metrics_text import Samples, scrape, total
from cxpulse.publishing import Routed, publish_file, route
from cxpulse.schemas.events import Event, decode
from cxpulse.worker import check_port_free

STALL_SECONDS = 120.0


def expected_watermarks(path: Path, settings: Settings) -> tuple[dict[str, float], int]:
    """Per topic (default name) the final replay "now", and the number of valid events."""
    partitions = list(range(settings.partitions))
    best: dict[str, dict[int, float]] = defaultdict(dict)
    ids: set[str] = set()
    with path.open("rb") as fh:
        for line in fh:
            routed = route(line, dataclasses.replace(settings, topic_prefix=""))
            if not isinstance(routed, Routed):
                continue
            event = decode(routed.value, routed.topic)
            if not isinstance(event, Event):
                continue
            ids.add(event.id)
            p = int(DefaultPartitioner()(routed.key, partitions, partitions))
            marks = best[routed.topic]
            marks[p] = max(marks.get(p, event.time), event.time)
    return {topic: min(marks.values()) for topic, marks in best.items()}, len(ids)


async def create_topics(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                **settings.kafka_security.aiokafka_kwargs())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, settings.partitions, 1)
                                   for t in broker_topics(settings.topic_prefix)])
    finally:
        await admin.close()


def summary(samples: Samples) -> list[tuple[str, str, str]]:
    """(family, what, value) rows: the events', then each family's (its collector's)."""
    rows = [("events", what, value) for what, value in IngestCollector.summary(samples)]
    for line in FAMILIES:
        rows += [(line.name, what, value) for what, value in line.collector.summary(samples)]
    return rows


def print_summary(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(metric) for _, metric, _ in rows)
    print("final metrics at each topic's last event time, summed over labels")
    family = ""
    for fam, metric, value in rows:
        print(f"{fam if fam != family else '':<12} {metric:<{width}}  {value:>14}")
        family = fam


def run_replay(path: Path, settings: Settings, progress: bool = True) -> int:
    if not path.is_file():
        raise ConfigError(f"no such file: {path}")
    tag = time.strftime("%Y%m%d%H%M%S")
    settings = dataclasses.replace(settings, topic_prefix=f"replay-{tag}.",
                                   app_id=f"cxpulse-replay-{tag}", clock="replay",
                                   data_dir=settings.data_dir.parent / f"replay-{tag}")
    check_port_free(settings.metrics_host, settings.metrics_port, "CXPULSE_METRICS_PORT")
    marks, valid = expected_watermarks(path, settings)
    asyncio.run(create_topics(settings))
    asyncio.run(publish_file(path, settings, progress=progress))
    env = {**os.environ, "CXPULSE_TOPIC_PREFIX": settings.topic_prefix,
           "CXPULSE_APP_ID": settings.app_id, "CXPULSE_CLOCK": "replay",
           "CXPULSE_DATA_DIR": str(settings.data_dir)}
    log = settings.data_dir.parent / f"replay-{tag}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "cxpulse.cli", "worker"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            samples = _follow(url, worker, marks, valid, log, progress)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
    print_summary(summary(samples))
    return 0


def finished(samples: Samples, marks: dict[str, float], valid: int) -> bool:
    """Every valid event counted and every watermark at least its final value.

    At least, not equal: the watermark never moves back, so a partition whose first
    (older) event arrives after the others' leaves it above the minimum of the
    partitions' maxima. A topic with few events spread over many partitions (the
    bench's small runs) ends there often.
    """
    return total(samples, "cx_events_total") >= valid and all(
        samples.get(("cx_watermark_seconds", (("topic", t),)), float("-inf")) >= m
        for t, m in marks.items())


def _follow(url: str, worker: subprocess.Popen[bytes], marks: dict[str, float], valid: int,
            log: Path, progress: bool) -> Samples:
    """Scrape until every topic's watermark is final; show the events counted."""
    last_count, last_change = -1.0, time.monotonic()
    with tqdm(total=valid, unit=" events", desc="replay", disable=not progress,
              file=sys.stderr) as bar:
        while True:
            if worker.poll() is not None:
                raise ConfigError(f"the replay worker exited ({worker.returncode}); see {log}")
            try:
                samples = scrape(url)
            except OSError:
                samples = {}
            count = total(samples, "cx_events_total")
            bar.update(int(count) - bar.n)
            if finished(samples, marks, valid):
                return samples
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change > STALL_SECONDS:
                raise ConfigError(f"the replay made no progress for {STALL_SECONDS:.0f} s; "
                                  f"see {log}")
            time.sleep(0.5)
