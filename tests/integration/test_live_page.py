"""The worker's live page in headless Chromium: it loads, matches /metrics, updates.

Debian's ``chromium`` and ``chromium-driver`` drive the page through Selenium. The
tiles' raw values (``data-value``) are compared with the same numbers computed
here from a scrape of ``/metrics``. A screenshot is saved for the README.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.integration.conftest import Env, Worker
from tests.integration.test_deploy_live import caught_up_with_customers
from tests.integration.test_families_end_to_end import _publish
from tests.support import customer_scenario, mixed_scenario
from tests.support.mixed_scenario import key_for
from tests.support.prom import SampleKey
from tests.support.scenario import END, PARTITIONS, ev
from tests.support.tools import require

pytestmark = pytest.mark.integration

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "live-page.png"


def _total(samples: dict[SampleKey, float], name: str, **match: str) -> float:
    return sum(v for (n, labels), v in samples.items()
               if n == name and all((k, v2) in labels for k, v2 in match.items()))


def expected_tiles(m: dict[SampleKey, float]) -> dict[str, float]:
    """What each tile must show, from the scrape (SPEC meanings, summed over labels)."""
    answered = _total(m, "cx_contacts_answered", window="1h")
    abandoned = _total(m, "cx_contacts_abandoned", window="1h")
    met = _total(m, "cx_sla_met", window="24h")
    nps_answers = _total(m, "cx_survey_answers", window="24h", survey="nps")
    p90 = [v for (n, labels), v in m.items() if n == "cx_first_response_seconds"
           and ("quantile", "0.9") in labels and ("window", "1h") in labels]
    return {
        "backlog": _total(m, "cx_tickets_open"),
        "opened": _total(m, "cx_tickets_opened", window="1h"),
        "first_response_p90": max(p90),
        "sla_attainment": met / (met + _total(m, "cx_sla_breached", window="24h")),
        "at_risk": _total(m, "cx_sla_at_risk_tickets", within="15m"),
        "in_queue": _total(m, "cx_contacts_in_queue"),
        "service_level": _total(m, "cx_contacts_answered_in_target", window="1h")
        / (answered + abandoned),
        "abandonment": abandoned / (answered + abandoned),
        "dau": _total(m, "cx_active_users", window="1d"),
        "conversion": _total(m, "cx_conversions", window="24h")
        / _total(m, "cx_sessions_started", window="24h"),
        "nps": 100 * (_total(m, "cx_survey_promoters", window="24h")
                      - _total(m, "cx_survey_detractors", window="24h")) / nps_answers,
        "csat": _total(m, "cx_survey_satisfied", window="24h")
        / _total(m, "cx_survey_answers", window="24h", survey="csat"),
        "customers": _total(m, "cx_customers_active"),
        "churn_30d": 1 - _total(m, "cx_customers_retained", window="30d")
        / _total(m, "cx_customers_at_start", window="30d"),
        "complaints_open": _total(m, "cx_complaints_open"),
    }


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    chromium = require("chromium", "chromium")
    driver = require("chromedriver", "chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,960"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def _shown(browser: webdriver.Chrome) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for tile in browser.find_elements(By.CSS_SELECTOR, "section.tile"):
        raw = tile.find_element(By.CSS_SELECTOR, ".value").get_attribute("data-value")
        out[tile.get_attribute("id").removeprefix("tile-")] = float(raw) if raw else None
    return out


def _differences(shown: dict[str, float | None], want: dict[str, float]) -> list[str]:
    return [f"{k}: page {shown.get(k)}, /metrics {v}" for k, v in want.items()
            if shown.get(k) is None or abs(shown[k] - v) > 1e-9 * max(1.0, abs(v))]  # type: ignore[operator]


def _until_equal(browser: webdriver.Chrome, worker: Worker, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            problems = _differences(_shown(browser), expected_tiles(worker.scrape()))
        except ValueError:  # no p90 yet: team quantiles follow the counts through Kafka
            problems = ["first_response_p90: not in /metrics yet"]
        if not problems:
            return
        if time.monotonic() > deadline:
            pytest.fail("the live page does not show /metrics:\n" + "\n".join(problems))
        time.sleep(1)


def test_the_live_page_shows_and_follows_the_metrics(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        browser: webdriver.Chrome) -> None:
    scenario = mixed_scenario.build()
    customers = customer_scenario.build()  # 40 days: the 30-day churn has a denominator
    _publish(cx_env, scenario, tmp_path)
    _publish(cx_env, customers, tmp_path)  # type: ignore[arg-type]
    worker = start_worker(cx_env)
    check, explain = caught_up_with_customers(scenario, customers)
    worker.wait_for(check, timeout=300, explain=explain)

    browser.get(cx_env.metrics_url.removesuffix("metrics"))
    _until_equal(browser, worker)
    tile = browser.find_element(By.ID, "tile-backlog")
    assert "tickets opened and not resolved" in (tile.get_attribute("title") or "")
    before = _shown(browser)["backlog"]
    assert before
    customer_tile = browser.find_element(By.ID, "tile-customers")
    assert "constant" in (customer_tile.get_attribute("title") or "")  # CLV's assumptions
    assert "MRR" in customer_tile.find_element(By.CSS_SELECTOR, ".detail").text

    # Two minutes later every partition opens a ticket: the backlog tile follows.
    later = tmp_path / "later.jsonl"
    later.write_bytes(b"\n".join(orjson.dumps(ev(
        f"late-open-{p}", "ticket.opened", END + 120, ticket_id=key_for(p, "LIVE"),
        customer_id="C", channel="chat", priority="urgent")) for p in range(PARTITIONS)))
    assert cx_env.run("publish", str(later)).returncode == 0
    _until_equal(browser, worker)
    assert _shown(browser)["backlog"] == before + PARTITIONS
    time.sleep(7)  # a few refreshes, so the sparklines have a history
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
