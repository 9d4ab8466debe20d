"""Fixtures on the real local Kafka broker, started once per test session.

A broker that does not start fails the tests that need it: nothing is skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from cxpulse.addresses import free_port
from cxpulse.families import broker_topics
from cxpulse.metrics_text import SampleKey, scrape

BROKER_START_TIMEOUT = 600.0  # the first run downloads the jars
SASL_USER, SASL_PASSWORD = "cxpulse", "test-secret"
"""The one user of the test broker's SASL_PLAINTEXT listener (at the broker port + 2)."""


def cxpulse(*args: str) -> list[str]:
    return [sys.executable, "-m", "cxpulse.cli", *args]


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a broker started with ``cxpulse broker``.

    It also listens with SASL_PLAINTEXT at its port + 2 (see :func:`sasl_broker`).
    """
    port = free_port(3)
    data_dir = tmp_path_factory.mktemp("broker")
    proc = subprocess.Popen(cxpulse("broker", "--port", str(port), "--data-dir", str(data_dir),
                                    "--sasl-port", str(port + 2),
                                    "--sasl-user", f"{SASL_USER}:{SASL_PASSWORD}"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + BROKER_START_TIMEOUT
    ready = False
    for line in proc.stdout:
        seen.append(line)
        if "broker ready" in line:
            ready = True
            break
        if time.monotonic() > deadline:
            break
    if not ready:
        proc.kill()
        pytest.fail("the local Kafka broker did not start:\n" + "".join(seen[-20:]))
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def sasl_broker(broker: str) -> str:
    """The same broker's SASL_PLAINTEXT listener (user :data:`SASL_USER`)."""
    host, _, port = broker.rpartition(":")
    return f"{host}:{int(port) + 2}"


async def _create_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, partitions, 1) for n in names])
    finally:
        await admin.close()


@dataclass
class Env:
    """The CXPULSE_* environment of one isolated test: own topics, group and ports."""

    vars: dict[str, str]

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.vars['CXPULSE_METRICS_PORT']}/metrics"

    @property
    def prefix(self) -> str:
        return self.vars["CXPULSE_TOPIC_PREFIX"]

    @property
    def bootstrap(self) -> str:
        return self.vars["CXPULSE_KAFKA_BOOTSTRAP"]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(cxpulse(*args), env={**os.environ, **self.vars}, text=True,
                              capture_output=True, timeout=timeout, check=False)


@pytest.fixture
def cx_env(broker: str, tmp_path: Path) -> Env:
    """A fresh topic prefix (topics created, 6 partitions) and worker settings."""
    tag = uuid.uuid4().hex[:8]
    prefix = f"t{tag}."
    asyncio.run(_create_topics(broker, broker_topics(prefix), 6))
    return Env({
        "CXPULSE_KAFKA_BOOTSTRAP": broker,
        "CXPULSE_TOPIC_PREFIX": prefix,
        "CXPULSE_APP_ID": f"cxpulse-test-{tag}",
        "CXPULSE_CLOCK": "replay",
        "CXPULSE_METRICS_PORT": str(free_port()),
        "CXPULSE_WEB_PORT": str(free_port()),
        "CXPULSE_DATA_DIR": str(tmp_path / "worker"),
        "CXPULSE_LOG_LEVEL": "info",
    })


class Worker:
    """A ``cxpulse worker`` process."""

    _ids = itertools.count()

    def __init__(self, env: Env, log_dir: Path, command: list[str] | None = None) -> None:
        self.env = env
        self.log = log_dir / f"worker-{next(self._ids)}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(command or cxpulse("worker"),
                                         env={**os.environ, **env.vars},
                                         stdout=out, stderr=subprocess.STDOUT)

    def scrape(self) -> dict[SampleKey, float]:
        return scrape(self.env.metrics_url)

    def wait_for(self, check: Callable[[dict[SampleKey, float]], bool],
                 timeout: float = 180.0,
                 explain: Callable[[dict[SampleKey, float]], str] | None = None,
                 ) -> dict[SampleKey, float]:
        """Scrape until ``check`` holds; fail with the log's tail otherwise (and with
        ``explain`` of the last scrape: what still differs, how far the worker got)."""
        deadline = time.monotonic() + timeout
        last: dict[SampleKey, float] = {}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"worker exited {self.proc.returncode}:\n{self.tail()}")
            try:
                last = self.scrape()
                if check(last):
                    return last
            except OSError:
                pass
            time.sleep(0.5)
        why = explain(last) + "\n" if explain is not None and last else ""
        pytest.fail(f"condition not met in {timeout} s; {why}last log lines:\n{self.tail()}")

    def settle(self, problems: Callable[[dict[SampleKey, float]], list[str]],
               timeout: float = 30.0) -> dict[SampleKey, float]:
        """Scrape until ``problems`` finds none (team quantiles travel through Kafka,
        so they may follow the counts by a moment); fail listing what still differs."""
        deadline = time.monotonic() + timeout
        while True:
            samples = self.scrape()
            found = problems(samples)
            if not found:
                return samples
            if time.monotonic() > deadline:
                pytest.fail(f"{len(found)} differences:\n" + "\n".join(found[:40]))
            time.sleep(0.5)

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[[Env], Worker]]:
    workers: list[Worker] = []

    def start(env: Env) -> Worker:
        worker = Worker(env, tmp_path)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
