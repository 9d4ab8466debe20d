"""``cxpulse demo``: a local broker, one worker and live simulated traffic.

Each part is its own process (as in production), logging to ``var/demo/*.log``;
Ctrl-C or SIGTERM stops them in reverse order, so no java or python is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from cxpulse.broker import fetch_jars
from cxpulse.config import Settings
from cxpulse.worker import check_port_free

DEMO_DIR = Path("var/demo")

DEMO_SLA = """\
# Written by `cxpulse demo` (CXPULSE_CONFIG unset): normal and low tickets count their
# SLA targets in office hours, urgent and high in calendar time, so the boards show both.
[sla.schedule]
normal = "office"
low = "office"

[schedules.office]
timezone = "{timezone}"
mon = ["08:00-18:00"]
tue = ["08:00-18:00"]
wed = ["08:00-18:00"]
thu = ["08:00-18:00"]
fri = ["08:00-18:00"]
holidays = ["{holiday}"]
"""


def demo_sla_config(timezone: str, year: int) -> str:
    """The demo's SLA policy: Mon-Fri 08:00-18:00 in the configured zone, Christmas Day
    closed."""
    return DEMO_SLA.format(timezone=timezone, holiday=f"{year}-12-25")


class DemoError(RuntimeError):
    """A part of the demo did not start; the message says which and where to look."""


def _cxpulse(*args: str) -> list[str]:
    return [sys.executable, "-m", "cxpulse.cli", *args]


def _wait_for_line(proc: subprocess.Popen[str], marker: str, timeout: float) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        if marker in line:
            return
        if time.monotonic() > deadline:
            break
    raise DemoError(f"the broker did not start (see {DEMO_DIR / 'broker' / 'broker.log'})")


def _wait_for_metrics(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DemoError(f"the worker stopped (see {DEMO_DIR / 'worker.log'})")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if b"cx_tickets_opened" in response.read():
                    return
        except OSError:
            pass
        time.sleep(1)
    raise DemoError(f"no metrics at {url} after {timeout:.0f} s (see {DEMO_DIR / 'worker.log'})")


def _stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _backfill_customers(env: dict[str, str], rate: float, end: float, days: int) -> None:
    """Publish ``days`` of customers only, up to where the live simulator's own backfill
    starts, so the 30-day retention, churn and revenue retention show at once. Another
    seed than the live part's, so no customer or event id is used twice."""
    if days <= 0:
        return
    history = DEMO_DIR / f"customers-{days}d.jsonl"
    print(f"backfilling {days} days of customers...", flush=True)
    with open(DEMO_DIR / "backfill.log", "wb") as log:
        for args in (("simulate", "--families", "customers", "--rate", str(rate), "--seed",
                      "2", "--duration", f"{days}d", "--end", f"{end:.0f}", "--out",
                      str(history)),
                     ("publish", str(history), "--quiet")):
            if subprocess.run(_cxpulse(*args), stdout=log, stderr=subprocess.STDOUT,
                              env=env).returncode != 0:
                raise DemoError(f"the customers' backfill failed (see {DEMO_DIR}/backfill.log)")


def run_demo(settings: Settings, rate: float, backfill: float, port: int,
             customer_days: int = 35) -> int:
    """Run until Ctrl-C; return the exit status."""
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    stopping = False

    def on_signal(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Fail in one line before starting anything: ports, then tools and jars.
    for p, name in ((port, "--port"), (port + 1, "--port + 1 (the broker's controller)")):
        check_port_free("127.0.0.1", p, name)
    check_port_free(settings.metrics_host, settings.metrics_port, "CXPULSE_METRICS_PORT")
    fetch_jars()
    env = {**os.environ, "CXPULSE_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}",
           "CXPULSE_DATA_DIR": str(DEMO_DIR / "worker")}
    if not env.get("CXPULSE_CONFIG"):
        policy = DEMO_DIR / "sla.toml"
        policy.write_text(demo_sla_config(str(settings.timezone), time.gmtime().tm_year))
        env["CXPULSE_CONFIG"] = str(policy)
        print(f"SLA policy: {policy} (office hours for normal and low)", flush=True)
    started: list[subprocess.Popen[bytes] | subprocess.Popen[str]] = []
    try:
        print(f"starting the Kafka broker on 127.0.0.1:{port} "
              "(the first run downloads its jars with Maven)...", flush=True)
        broker = subprocess.Popen(
            _cxpulse("broker", "--port", str(port), "--data-dir", str(DEMO_DIR / "broker")),
            stdout=subprocess.PIPE, text=True, env=env)
        started.append(broker)
        _wait_for_line(broker, "broker ready", timeout=600)
        with open(DEMO_DIR / "worker.log", "wb") as worker_log, \
                open(DEMO_DIR / "simulator.log", "wb") as sim_log:
            worker = subprocess.Popen(_cxpulse("worker"), stdout=worker_log,
                                      stderr=subprocess.STDOUT, env=env)
            started.append(worker)
            _backfill_customers(env, rate, end=time.time() - backfill, days=customer_days)
            simulator = subprocess.Popen(
                _cxpulse("simulate", "--rate", str(rate), "--backfill", f"{backfill:.0f}",
                         "--quiet"), stdout=sim_log, stderr=subprocess.STDOUT, env=env)
            started.append(simulator)
            url = f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
            print("starting a worker and the simulator...", flush=True)
            _wait_for_metrics(url, worker, timeout=180)
            print(f"\nlive page: {url.removesuffix('metrics')}\nmetrics:   {url}\n"
                  f"logs:      {DEMO_DIR}/\nCtrl-C stops everything.",
                  flush=True)
            while not stopping:
                for proc in started:
                    if proc.poll() is not None:
                        raise DemoError(f"{proc.args!r} exited "
                                        f"(status {proc.returncode}); see {DEMO_DIR}/")
                time.sleep(0.5)
    except DemoError as exc:
        print(f"cxpulse demo: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping...", flush=True)
        for proc in reversed(started):
            _stop(proc)
    return 0
