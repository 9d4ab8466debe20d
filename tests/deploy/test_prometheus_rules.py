"""The shipped Prometheus config and rules pass promtool, and every alert's unit tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from tests.support.tools import require

PROMETHEUS = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"


def run(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require("promtool", "prometheus"), *args], cwd=cwd, text=True,
                          capture_output=True, timeout=300, check=False)


def test_rules_are_valid() -> None:
    result = run("check", "rules", *sorted(str(p) for p in PROMETHEUS.glob("rules/*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_is_valid(tmp_path: Path) -> None:
    # The config names the rules by their path in the container: mirror it here.
    rules = tmp_path / "etc" / "prometheus" / "rules"
    shutil.copytree(PROMETHEUS / "rules", rules)
    config = (PROMETHEUS / "prometheus.yml").read_text().replace(
        "/etc/prometheus/rules", str(rules))
    (tmp_path / "prometheus.yml").write_text(config)
    result = run("check", "config", str(tmp_path / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_firing_and_quiet_unit_tests() -> None:
    tests = list(PROMETHEUS.glob("tests/*.yml"))
    result = run("test", "rules", *map(str, tests))
    assert result.returncode == 0, result.stdout + result.stderr

    alerts = {rule["alert"] for path in PROMETHEUS.glob("rules/*.yml")
              for group in yaml.safe_load(path.read_text())["groups"]
              for rule in group["rules"] if "alert" in rule}
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in tests:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert alerts - firing == set(), "alerts never tested firing"
    assert alerts - quiet == set(), "alerts never tested quiet"
