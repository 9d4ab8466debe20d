"""``cxpulse demo`` for a minute: every family live on /metrics and on the live page,
and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from cxpulse.metrics_text import SampleKey, scrape
from tests.integration.conftest import cxpulse, free_port
from tests.integration.test_live_page import browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

EVERY_FAMILY = {  # metric (summed over labels, window 24h where windowed) > 0
    "cx_tickets_opened": "tickets", "cx_contacts_answered": "contacts",
    "cx_sessions_started": "sessions", "cx_active_users": "sessions",
    "cx_conversions": "conversions", "cx_survey_answers": "surveys",
    "cx_ads_cost": "costs", "cx_service_cost": "costs",
    "cx_customers_active": "customers", "cx_mrr": "customers",
}
BACKFILLED = ("cx_customers_at_start", "cx_mrr_at_start")  # 30d: the customers' 35 days


def _missing(samples: dict[SampleKey, float]) -> list[str]:
    def total(name: str) -> float:
        return sum(v for (n, labels), v in samples.items()
                   if n == name and dict(labels).get("window", "24h") == "24h")
    thirty_days = [name for name in BACKFILLED if sum(
        v for (n, labels), v in samples.items() if n == name and dict(labels)["window"] == "30d")
        <= 0]
    return [name for name in EVERY_FAMILY if total(name) <= 0] + thirty_days


def _processes_mentioning(marker: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True)
    return [line for line in ps.stdout.splitlines() if marker in line and "ps -eo" not in line]


def test_the_demo_shows_every_family_and_stops_cleanly(
        tmp_path: Path, browser: webdriver.Chrome) -> None:  # noqa: F811
    port, metrics, web = free_port(2), free_port(), free_port()
    env = {**os.environ, "CXPULSE_METRICS_PORT": str(metrics), "CXPULSE_WEB_PORT": str(web)}
    proc = subprocess.Popen(cxpulse("demo", "--port", str(port)), cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        printed = []
        for line in proc.stdout:
            printed.append(line)
            if line.startswith("live page:"):
                break
        assert f"http://127.0.0.1:{metrics}/" in "".join(printed), "".join(printed)

        deadline = time.monotonic() + 120
        while (missing := _missing(scrape(f"http://127.0.0.1:{metrics}/metrics"))) and \
                time.monotonic() < deadline:
            time.sleep(2)
        assert not missing, f"families without values: {missing}"

        # The team quantiles (first-response p90) follow once the 2 h backfill is in.
        browser.get(f"http://127.0.0.1:{metrics}/")
        deadline = time.monotonic() + 150
        while True:
            values = {t.get_attribute("id"): t.find_element(By.CSS_SELECTOR, ".value").text
                      for t in browser.find_elements(By.CSS_SELECTOR, "section.tile")}
            if values and all(v not in ("", "—") for v in values.values()):
                break
            assert time.monotonic() < deadline, f"tiles without numbers: {values}"
            time.sleep(1)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=90)
    assert proc.returncode == 0
    assert _processes_mentioning(str(tmp_path)) == []
    assert _processes_mentioning(f"--port {port}") == []
