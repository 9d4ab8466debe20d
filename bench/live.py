"""A live-clock ``cxpulse worker`` on fresh topics, for the latency, catch-up and
restart rows: one app id across its starts, so a restart recovers its state."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from cxpulse.addresses import free_port


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

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:  # the child keeps its own descriptor
            return subprocess.Popen([sys.executable, "-m", "cxpulse.cli", "worker"],
                                    env=self.env, stdout=log, stderr=subprocess.STDOUT)
