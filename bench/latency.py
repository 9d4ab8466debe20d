"""Publish -> visible on /metrics, under a steady publish rate, on a live-clock worker.

Every probe is a new ``ticket.opened`` stamped with the wall clock, so the backlog
grows all along (nothing is resolved). ``/metrics`` is scraped every second, as
Prometheus would. At each scrape, the newest probe it shows (the worker's count of
opened tickets) was published some time before the scrape returned: that age is the
publish -> /metrics latency of the probe at the visibility frontier, to within the
gap between two probes (the next probe, published 1/rate later, was not visible
yet). One figure per scrape; the percentiles are over those.

A scrape counts as returned when its body has arrived, as Prometheus records a
sample: the bench then reads the one sample it needs, without timing that. Until
2026-12-07 it parsed the whole exposition (about 195 KB) first, which added 74 ms
at the median and up to 183 ms to every figure on this machine, and took CPU from
the worker it measures (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from tqdm import tqdm

from bench.live import LiveWorker
from cxpulse.metrics_text import fetch, sample, scrape

POLL = 1.0
"""Seconds between scrapes, as a Prometheus scraping every second."""
OPENED = ("cx_events_total", (("event_type", "ticket.opened"), ("topic", "cx.tickets")))


def _probe(n: int, t: float, name: str) -> bytes:
    return orjson.dumps({"specversion": "1.0", "id": f"{name}-{n}", "source": "bench",
                         "type": "ticket.opened", "time": time.strftime(
                             "%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z",
                         "data": {"ticket_id": f"{name}-{n}", "customer_id": "C", "channel": "chat",
                                  "priority": "normal"}})


async def _warm_up(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, _probe(0, time.time(), "warm-up"), key=b"warm-up-0")
    finally:
        await producer.stop()


def _publish_with_kcat(bootstrap: str, topic: str, rate: float, seconds: float) -> list[float]:
    """The probes through ``kcat`` (librdkafka, in C): at a site the producers run on
    other machines, and a Python producer here took most of a core from the worker it
    measures. Each millisecond's due probes are written to kcat's input at once; a
    probe's time is when its line was written."""
    kcat = shutil.which("kcat")
    if kcat is None:
        raise RuntimeError("the latency row publishes with kcat: install it (Debian: kcat)")
    proc = subprocess.Popen([kcat, "-P", "-b", bootstrap, "-t", topic, "-K", "\t",
                             "-X", "linger.ms=1"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    total = int(rate * seconds)
    sent: list[float] = []
    start = time.monotonic()
    with tqdm(total=total, unit=" events", desc="latency", file=sys.stderr) as bar:
        while (n := len(sent)) < total:
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            now, wall = time.monotonic(), time.time()
            due = min(total, int((now - start) * rate) + 1)
            lines = [f"probe-{k}\t".encode() + _probe(k, wall, "probe") for k in range(n, due)]
            proc.stdin.write(b"\n".join(lines) + b"\n")
            proc.stdin.flush()
            sent += [now] * len(lines)
            bar.update(len(lines))
    proc.stdin.close()
    if proc.wait(timeout=60):
        raise RuntimeError(f"kcat exited with {proc.returncode}")
    return sent


def measure(bootstrap: str, tmp: Path, rate: float, seconds: float) -> list[float]:
    """Latencies in milliseconds, one per scrape while probes were arriving."""
    worker = LiveWorker(bootstrap, "latency", tmp)
    topic = worker.prefix + "cx.tickets"
    worker.make_topics()
    # Let the worker join and prove it reads, with one warm-up event first.
    asyncio.run(_warm_up(bootstrap, topic))
    proc = worker.start()
    url = worker.url
    frontier: list[tuple[float, int]] = []
    """(when a scrape returned, probes it showed)"""
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                text = fetch(url)
            except OSError:
                text = ""
            returned = time.monotonic()
            count = int(sample(text, OPENED) or 0.0) - 1  # minus the warm-up
            if count > 0:
                frontier.append((returned, count))
            time.sleep(max(0.0, POLL - (time.monotonic() - started)))

    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the warm-up event counted: ready
            try:
                if scrape(url).get(OPENED, 0.0) >= 1:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        sent = _publish_with_kcat(bootstrap, topic, rate, seconds)
        wait_until = time.monotonic() + 30
        while (not frontier or frontier[-1][1] < len(sent)) and time.monotonic() < wait_until:
            time.sleep(0.1)
        stop.set()
        poller.join()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return latencies(frontier, sent)


def latencies(frontier: list[tuple[float, int]], sent: list[float]) -> list[float]:
    """Milliseconds per scrape, from (when a scrape returned, probes it showed) and
    each probe's send time (both monotonic).

    Only scrapes that still miss a probe count. One that shows them all has no newer
    probe to mark the frontier: the last probe may have been visible for most of a
    scrape interval already, and its age would add that wait (the last figure of a
    run read about 1 s where the others read 100-400 ms)."""
    return [(at - sent[count - 1]) * 1000 for at, count in frontier if count < len(sent)]
