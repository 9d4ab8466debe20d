"""Catch-up after an outage: a live worker stopped while events keep arriving, then
started again; how long until its numbers are current.

Tickets are opened, answered and resolved at a steady rate, stamped with the wall
clock (one ticket every three events). A live-clock worker runs for a warm-up, is
stopped (SIGTERM) for ``outage`` seconds while the traffic goes on, then started again
with the same app id. The figure is the time from that start until the worker's
``cx_watermark_seconds{topic="cx.tickets"}`` is within :data:`CURRENT` of the wall
clock, scraping every second as Prometheus would. The backlog it read meanwhile
is ``rate * outage`` events plus what arrived during the catch-up.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from tqdm import tqdm

from bench.live import LiveWorker
from cxpulse.metrics_text import scrape

CURRENT = 5.0
"""Seconds behind the wall clock at which the worker counts as caught up."""
WATERMARK = ("cx_watermark_seconds", (("topic", "cx.tickets"),))
KINDS = ("ticket.opened", "ticket.responded", "ticket.resolved")


@dataclass(frozen=True, slots=True)
class CatchUp:
    rate: float
    """Events per second published throughout."""
    outage: float
    """Seconds the worker was stopped."""
    seconds: float
    """From the restart until the watermark was within CURRENT of the wall clock."""
    backlog: int
    """Events published between the stop and the moment it caught up."""

    @property
    def drain_rate(self) -> float:
        """Events per second the restarted worker read while catching up."""
        return self.backlog / self.seconds if self.seconds else 0.0


def _event(n: int, t: float) -> tuple[bytes, bytes]:
    ticket = f"C-{n // 3}"
    data: dict[str, str] = {"ticket_id": ticket}
    kind = KINDS[n % 3]
    if kind == "ticket.opened":
        data |= {"customer_id": f"U{n % 997}", "channel": "chat", "priority": "normal"}
    elif kind == "ticket.responded":
        data["agent_id"] = f"A{n % 13}"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"
    return ticket.encode(), orjson.dumps({"specversion": "1.0", "id": f"c-{n}",
                                          "source": "bench", "type": kind, "time": stamp,
                                          "data": data})


class Traffic:
    """Publishes at ``rate`` events/s from a thread until :meth:`stop`; counts them."""

    def __init__(self, bootstrap: str, topic: str, rate: float) -> None:
        self.bootstrap, self.topic, self.rate = bootstrap, topic, rate
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    async def _run(self) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, linger_ms=5)
        await producer.start()
        try:
            start = time.monotonic()
            while not self._stop.is_set():
                due = int((time.monotonic() - start) * self.rate)
                while self.sent < due:
                    key, value = _event(self.sent, time.time())
                    await producer.send(self.topic, value, key=key)
                    self.sent += 1
                await asyncio.sleep(0.01)
            await producer.flush()
        finally:
            await producer.stop()


def _lag(url: str) -> float | None:
    """Seconds the worker's tickets watermark is behind the wall clock (None: no answer)."""
    try:
        watermark = scrape(url).get(WATERMARK)
    except OSError:
        return None
    return None if not watermark else time.time() - watermark


def _until_current(url: str, proc: subprocess.Popen[bytes], limit: float, what: str) -> float:
    start = time.monotonic()
    with tqdm(desc=what, unit=" s lag", file=sys.stderr) as bar:
        while time.monotonic() - start < limit:
            if proc.poll() is not None:
                raise RuntimeError(f"the worker exited while {what}")
            lag = _lag(url)
            if lag is not None:
                bar.set_postfix(lag=f"{lag:,.1f} s")
                if lag <= CURRENT:
                    return time.monotonic() - start
            time.sleep(1.0)
    raise RuntimeError(f"not current after {limit:.0f} s while {what}")


def measure(bootstrap: str, tmp: Path, rate: float = 1000.0, outage: float = 600.0,
            warm: float = 30.0, limit: float = 1800.0) -> CatchUp:
    worker = LiveWorker(bootstrap, "catchup", tmp)
    worker.make_topics()
    traffic = Traffic(bootstrap, worker.prefix + "cx.tickets", rate)
    traffic.start()
    try:
        proc = worker.start()
        try:
            _until_current(worker.url, proc, limit, "starting")
            time.sleep(warm)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        stopped_at = traffic.sent
        for _ in tqdm(range(int(outage)), desc="outage", unit=" s", file=sys.stderr):
            time.sleep(1.0)
        proc = worker.start()
        try:
            seconds = _until_current(worker.url, proc, limit, "catching up")
            backlog = traffic.sent - stopped_at
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    finally:
        traffic.stop()
    return CatchUp(rate, outage, seconds, backlog)
