"""Events per second: the plain-consumer baseline and the cxpulse worker, same topics."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from tqdm import tqdm

from cxpulse.addresses import free_port
from cxpulse.config import Settings
from cxpulse.families import EVENT_TOPICS
from cxpulse.metrics_text import scrape, total
from cxpulse.replay import expected_watermarks, finished

EVENTS_PER_TICKET_HOUR = 28.0
"""About how many events of all families one ticket per hour brings (cxpulse.simulate)."""
END = 1_795_340_000.0
SLOW_POLL = 2.0
"""Seconds between progress scrapes while the worker is busy. A scrape runs on the
worker's event loop (0.05-0.2 s with a day of state), so polling /metrics every
0.2 s, as this bench first did, took a third of the time it was measuring."""
FAST_POLL = 0.2
"""Before the first event and near the end, where the clock starts and stops."""


def prepare(path: Path, events: int) -> int:
    """Write the first ``events`` of a simulated day to ``path``; return the count."""
    rate = max(1.0, events / (EVENTS_PER_TICKET_HOUR * 24) * 1.2)
    tmp = path.with_suffix(".full")
    subprocess.run([sys.executable, "-m", "cxpulse.cli", "simulate", "--out", str(tmp),
                    "--duration", "24h", "--rate", str(rate), "--end", str(END)], check=True)
    with tmp.open("rb") as src, path.open("wb") as out:
        n = 0
        for n, line in enumerate(src, start=1):
            if n > events:
                n -= 1
                break
            out.write(line)
    tmp.unlink()
    return n


def _env(bootstrap: str, prefix: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "CXPULSE_KAFKA_BOOTSTRAP": bootstrap, "CXPULSE_TOPIC_PREFIX": prefix,
            **extra}


def publish(bootstrap: str, data: Path, tmp: Path) -> str:
    prefix = "bench."
    subprocess.run([sys.executable, "-m", "cxpulse.cli", "publish", str(data)],
                   env=_env(bootstrap, prefix), check=True)
    return prefix


async def baseline(bootstrap: str, prefix: str, events: int) -> float:
    """A consumer that reads every event topic from offset 0 and decodes each value."""
    consumer = AIOKafkaConsumer(*(prefix + t for t in EVENT_TOPICS), bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=None)
    await consumer.start()
    try:
        seen = 0
        start = time.perf_counter()
        while seen < events:
            batch = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batch.values():
                for record in records:
                    orjson.loads(record.value)
                seen += len(records)
        return seen / (time.perf_counter() - start)
    finally:
        await consumer.stop()


async def changelog_records(bootstrap: str, app_id: str) -> int:
    """Records the worker wrote to its tables' changelog topics (their end offsets)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics()
                  if t.startswith(app_id + "-") and t.endswith("-changelog")]
        parts = [TopicPartition(d["topic"], p["partition"])
                 for d in await admin.describe_topics(topics) for p in d["partitions"]]
    finally:
        await admin.close()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await consumer.stop()


def _tail(path: str, lines: int = 40) -> str:
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True, slots=True)
class WorkerRun:
    rate: float
    """Events per second."""
    changelog_per_event: float
    """Table changelog records written per event."""


def worker(bootstrap: str, prefix: str, data: Path, tmp: Path, run: int,
           workers: int = 1) -> WorkerRun:
    """``workers`` replay workers in one group, with a fresh app id, from offset 0
    until every event is counted (and, with one worker, the watermarks are final:
    with several, each only sees its own partitions')."""
    marks, valid = expected_watermarks(data, Settings())
    app_id = f"bench-{run}-{time.time_ns()}"
    procs, urls, logs = [], [], []
    launched = time.perf_counter()
    for n in range(workers):
        port = free_port()
        env = _env(bootstrap, prefix, CXPULSE_APP_ID=app_id, CXPULSE_CLOCK="replay",
                   CXPULSE_METRICS_PORT=str(port), CXPULSE_WEB_PORT=str(free_port()),
                   CXPULSE_DATA_DIR=str(tmp / f"worker-{run}-{n}"))
        logs.append((tmp / f"worker-{run}-{n}.log").open("wb"))
        procs.append(subprocess.Popen([sys.executable, "-m", "cxpulse.cli", "worker"], env=env,
                                      stdout=logs[-1], stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}/metrics")
    try:
        started = launched
        """The last scrape that still saw no event: the clock starts there."""
        last, last_change = -1.0, time.monotonic()
        with tqdm(total=valid, unit=" events", desc=f"{workers} worker(s)",
                  file=sys.stderr) as bar:
            while True:
                for proc, log in zip(procs, logs, strict=True):
                    if proc.poll() is not None:
                        raise RuntimeError("a worker exited:\n" + _tail(log.name))
                if time.monotonic() - last_change > 300:
                    raise RuntimeError(f"no progress for 300 s at {last:,.0f} of {valid:,} "
                                       "events:\n" + _tail(logs[0].name))
                try:
                    scrapes = [scrape(u)
                               for u in urls]
                except OSError:
                    time.sleep(FAST_POLL)
                    continue
                now = time.perf_counter()
                count = sum(total(samples, "cx_events_total") for samples in scrapes)
                if count != last:
                    last, last_change = count, time.monotonic()
                if not count:
                    started = now
                bar.update(int(count) - bar.n)
                done = finished(scrapes[0], marks, valid) if workers == 1 else count >= valid
                if done:
                    records = asyncio.run(changelog_records(bootstrap, app_id))
                    return WorkerRun(count / (now - started), records / count)
                rate = count / (now - started) if count else 0.0
                near_end = rate and (valid - count) / rate < 2 * SLOW_POLL
                time.sleep(FAST_POLL if not count or near_end else SLOW_POLL)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        for log in logs:
            log.close()
