"""A live-clock ``cxpulse worker`` on fresh topics, for the latency, catch-up and
restart rows: one app id across its starts, so a restart recovers its state."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from cxpulse.addresses import free_port
from cxpulse.config import Settings
from cxpulse.replay import create_topics


class LiveWorker:
    def __init__(self, bootstrap: str, name: str, tmp: Path) -> None:
        self.prefix = f"{name}{time.time_ns()}."
        """Topic prefix: fresh topics for this row."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/metrics"
        self.app_id = f"bench-{name}-{time.time_ns()}"
        self.env = {**os.environ, "CXPULSE_KAFKA_BOOTSTRAP": bootstrap,
                    "CXPULSE_TOPIC_PREFIX": self.prefix, "CXPULSE_APP_ID": self.app_id,
                    "CXPULSE_CLOCK": "live", "CXPULSE_METRICS_PORT": str(port),
                    "CXPULSE_WEB_PORT": str(free_port()),
                    "CXPULSE_DATA_DIR": str(tmp / f"{name}-worker")}
        self.log = tmp / f"{name}-worker.log"
        self.bootstrap = bootstrap
        self._topics_made = False

    def make_topics(self) -> None:
        """Every event topic, before anything is published or the worker starts, as at a
        site where the producers run: a topic created later changes the group's
        subscription, and the rebalance it causes 30 s in would be measured as the
        worker's latency."""
        if not self._topics_made:
            asyncio.run(create_topics(Settings(kafka_bootstrap=self.bootstrap,
                                               topic_prefix=self.prefix)))
            self._topics_made = True

    def start(self) -> subprocess.Popen[bytes]:
        self.make_topics()
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            return subprocess.Popen([sys.executable, "-m", "cxpulse.cli", "worker"],
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT)
