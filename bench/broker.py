"""A local broker for the benchmark, started with ``cxpulse broker`` and stopped after."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cxpulse.addresses import free_port


@contextmanager
def local_broker(tmp: Path) -> Iterator[str]:
    port = free_port(2)
    proc = subprocess.Popen([sys.executable, "-m", "cxpulse.cli", "broker", "--port", str(port),
                             "--data-dir", str(tmp / "broker")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "broker ready" in line:
            break
    else:
        raise RuntimeError("the local broker did not start")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
