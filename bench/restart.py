"""Restart with a large state: a worker holding N open tickets and N daily users is
killed (SIGKILL) and started again; how long until its numbers are right again.

N ``ticket.opened`` (distinct tickets) and N ``session.started`` (distinct users)
stamped with the wall clock are published to fresh topics; a live-clock worker reads
them until ``cx_tickets_open`` sums to N and ``cx_active_users{window="24h"}`` is N.
It is killed, started again with the same app id, and timed from that start until
both gauges are N again (scraping every second). The worker runs with an instance id
(``CXPULSE_INSTANCE_ID``, static membership), as the Kubernetes manifests run it; it
is then killed once more and restarted without one, the default, whose group join
waits out the dead member's session timeout (``seconds_dynamic``). The broker's log
directories of the app's changelog topics, divided by 2N, give the changelog bytes per
entity (after Kafka's compaction, which may not have run yet: an upper bound).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from tqdm import tqdm

from bench.live import LiveWorker
from cxpulse.metrics_text import scrape

USERS_24H = ("cx_active_users", (("window", "24h"),))


@dataclass(frozen=True, slots=True)
class Restart:
    entities: int
    """N: open tickets, and as many daily users."""
    first_load: float
    """Seconds the first worker took to read the 2N events (from its start)."""
    seconds: float
    """From the restart until both gauges were N again (static membership)."""
    seconds_dynamic: float
    """The same for a restart without an instance id."""
    changelog_bytes: int
    """Bytes on the broker's disk of the app's changelog topics."""

    @property
    def bytes_per_entity(self) -> float:
        return self.changelog_bytes / (2 * self.entities)


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


async def _publish(bootstrap: str, prefix: str, n: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20,
                                max_batch_size=256 * 1024)
    await producer.start()
    try:
        stamp = _stamp(time.time())
        for i in tqdm(range(n), desc="publish", unit=" pairs", file=sys.stderr):
            await producer.send(prefix + "cx.tickets", orjson.dumps(
                {"specversion": "1.0", "id": f"o{i}", "source": "bench",
                 "type": "ticket.opened", "time": stamp,
                 "data": {"ticket_id": f"T-{i}", "customer_id": f"C-{i}",
                          "channel": "email", "priority": "normal"}}), key=f"T-{i}".encode())
            await producer.send(prefix + "cx.sessions", orjson.dumps(
                {"specversion": "1.0", "id": f"s{i}", "source": "bench",
                 "type": "session.started", "time": stamp,
                 "data": {"session_id": f"S-{i}", "user_id": f"U-{i}", "source": "paid"}}),
                key=f"U-{i}".encode())
        await producer.flush()
    finally:
        await producer.stop()


def _complete(url: str, n: int) -> bool:
    try:
        samples = scrape(url)
    except OSError:
        return False
    tickets = sum(v for (name, _), v in samples.items() if name == "cx_tickets_open")
    return tickets == n and samples.get(USERS_24H) == n


def _until_complete(url: str, proc: subprocess.Popen[bytes], n: int, limit: float,
                    what: str) -> float:
    start = time.monotonic()
    with tqdm(desc=what, unit=" s", file=sys.stderr) as bar:
        while time.monotonic() - start < limit:
            if proc.poll() is not None:
                raise RuntimeError(f"the worker exited while {what}")
            if _complete(url, n):
                return time.monotonic() - start
            bar.update(1)
            time.sleep(1.0)
    raise RuntimeError(f"not complete after {limit:.0f} s while {what}")


def _changelog_bytes(broker_dir: Path, app_id: str) -> int:
    """Sizes of the segments (``.log``; the index files are preallocated)."""
    return sum(f.stat().st_size for d in broker_dir.rglob(f"{app_id}-*-changelog-*")
               if d.is_dir() for f in d.glob("*.log"))


def measure(bootstrap: str, broker_dir: Path, tmp: Path, n: int,
            limit: float = 3600.0) -> Restart:
    worker = LiveWorker(bootstrap, "restart", tmp)
    url = worker.url
    worker.make_topics()
    asyncio.run(_publish(bootstrap, worker.prefix, n))
    worker.env["CXPULSE_INSTANCE_ID"] = "bench-restart-0"
    proc = worker.start()
    try:
        first_load = _until_complete(url, proc, n, limit, "first load")
        time.sleep(3.0)  # a commit and the last changelog writes
    finally:
        proc.kill()
        proc.wait(timeout=60)
    static = _timed_restart(worker, n, limit, "restart")
    del worker.env["CXPULSE_INSTANCE_ID"]  # the second restart: dynamic membership
    dynamic = _timed_restart(worker, n, limit, "restart without an instance id")
    return Restart(n, first_load, static, dynamic,
                   _changelog_bytes(broker_dir, worker.app_id))


def _timed_restart(worker: LiveWorker, n: int, limit: float, what: str) -> float:
    """Start the killed worker again; seconds until its numbers are right; kill it."""
    proc = worker.start()
    try:
        return _until_complete(worker.url, proc, n, limit, what)
    finally:
        proc.kill()
        proc.wait(timeout=60)
