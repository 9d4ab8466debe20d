"""The shipped boards and rules against a real Prometheus scraping a real worker.

Debian's ``prometheus`` runs on loopback with the shipped rule files, scraping a
worker that replayed a mixed scenario of every family and the customers' 40 days
(their windows are calendar days up to 30). Every panel query of every dashboard
must return data (so a board naming a metric the exporter does not
serve fails), every recording and alert expression must evaluate, and every rule
group must be healthy.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import Env, Worker, free_port
from tests.integration.test_families_end_to_end import _publish
from tests.support import customer_scenario, mixed_scenario
from tests.support.customer_scenario import CustomerScenario
from tests.support.mixed_scenario import MixedScenario
from tests.support.prom import SampleKey
from tests.support.tools import require

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
VARIABLES = {"$window": "24h", "$days": "30d", "$channel": ".*", "$priority": ".*",
             "$source": ".*"}


def _query(base: str, expr: str) -> dict[str, Any]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:  # 400: a bad expression
        return json.loads(exc.read())  # type: ignore[no-any-return]


def panel_queries() -> list[tuple[str, str]]:
    """(dashboard: panel title, expression with the variables filled in)."""
    out = []
    for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for name, value in VARIABLES.items():
                    expr = expr.replace(name, value)
                out.append((f"{board['title']}: {panel['title']}", expr))
    return out


def rule_expressions() -> list[tuple[str, str]]:
    out = []
    for path in sorted((DEPLOY / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                out.append((rule.get("record") or rule["alert"], rule["expr"]))
    return out


@pytest.fixture
def prometheus(tmp_path: Path, cx_env: Env) -> Iterator[str]:
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))],
        "scrape_configs": [{"job_name": "cxpulse", "static_configs": [
            {"targets": [f"127.0.0.1:{cx_env.vars['CXPULSE_METRICS_PORT']}"]}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    log = (tmp_path / "prometheus.log").open("wb")
    binary = require("prometheus", "prometheus")
    proc = subprocess.Popen([binary, f"--config.file={tmp_path}/prometheus.yml",
                             f"--storage.tsdb.path={tmp_path}/tsdb",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("prometheus did not start:\n" +
                                (tmp_path / "prometheus.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def caught_up_with_customers(scenario: MixedScenario, customers: CustomerScenario) -> tuple[
        Callable[[dict[SampleKey, float]], bool], Callable[[dict[SampleKey, float]], str]]:
    """When a worker has read both scenarios (check, explain): every topic's watermark but
    cx.customers' (the mixed scenario's partitions and the 40 days' end in either order),
    and every distinct event id (both close their partitions with the same z-u… ids)."""
    marks_wanted = {t: v for t, v in scenario.watermarks().items() if t != "cx.customers"}
    distinct = len({e["id"] for e in (*scenario.valid, *customers.valid, *customers.late)})

    def marks(m: dict[SampleKey, float]) -> dict[str, float]:
        return {dict(labels)["topic"]: v for (name, labels), v in m.items()
                if name == "cx_watermark_seconds" and ("topic", "cx.customers") not in labels}

    def accepted(m: dict[SampleKey, float]) -> float:
        return sum(v for (name, _), v in m.items() if name == "cx_events_total")

    def check(m: dict[SampleKey, float]) -> bool:
        return marks(m) == marks_wanted and accepted(m) >= distinct

    def explain(m: dict[SampleKey, float]) -> str:
        return f"watermarks {marks(m)}, want {marks_wanted}; events {accepted(m)} of {distinct}"

    return check, explain


def test_every_panel_and_rule_works_against_a_live_worker(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path,
        prometheus: str) -> None:
    scenario = mixed_scenario.build()
    customers = customer_scenario.build()
    _publish(cx_env, scenario, tmp_path)
    _publish(cx_env, customers, tmp_path)  # type: ignore[arg-type]
    worker = start_worker(cx_env)

    check, explain = caught_up_with_customers(scenario, customers)
    worker.wait_for(check, timeout=300, explain=explain)

    panels = panel_queries()
    assert len(panels) > 60
    deadline = time.monotonic() + 90  # a few scrapes and rule evaluations
    while True:
        empty = [(title, expr, result) for title, expr in panels
                 if (result := _query(prometheus, expr)).get("status") != "success"
                 or not result["data"]["result"]]
        if not empty or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert not empty, "panels without data:\n" + "\n".join(
        f"{title}: {expr} -> {result.get('error', 'no data')}" for title, expr, result in empty)

    bad = [(name, r.get("error")) for name, expr in rule_expressions()
           if (r := _query(prometheus, expr)).get("status") != "success"]
    assert not bad, bad

    with urllib.request.urlopen(f"{prometheus}/api/v1/rules", timeout=10) as response:
        groups = json.loads(response.read())["data"]["groups"]
    unhealthy = [(rule["name"], rule.get("lastError")) for group in groups
                 for rule in group["rules"] if rule["health"] != "ok"]
    assert len(groups) == 11 and not unhealthy, unhealthy
