"""docker-compose.yml checked statically (no Docker engine on these machines)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ONE_SHOT = {"topics", "simulator"}
"""Services that are not servers: no healthcheck to wait on."""


def _compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return doc


def _settings() -> set[str]:
    return set(re.findall(r"CXPULSE_[A-Z_]+", (ROOT / "cxpulse" / "config.py").read_text()))


def test_every_referenced_file_exists() -> None:
    for name, service in _compose()["services"].items():
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"


def test_the_stack_has_every_part_with_healthchecks_and_distinct_ports() -> None:
    services = _compose()["services"]
    assert {"kafka", "topics", "worker-1", "worker-2", "simulator", "prometheus",
            "alertmanager", "grafana"} <= services.keys()
    host_ports = [p.split(":")[0] for s in services.values() for p in s.get("ports", [])]
    assert len(host_ports) == len(set(host_ports)), host_ports
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert "healthcheck" in service, f"{name} has no healthcheck"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_workers_form_one_group_with_real_settings() -> None:
    services = _compose()["services"]
    known = _settings()
    workers = [s for s in services.values() if s.get("command") == ["worker"]]
    assert len(workers) == 2
    assert len({w["environment"]["CXPULSE_APP_ID"] for w in workers}) == 1
    assert len({w["volumes"][0] for w in workers}) == 2, "each worker needs its own data dir"
    ids = {w["environment"]["CXPULSE_INSTANCE_ID"] for w in workers}
    assert len(ids) == 2, "a shared instance id fences one worker out of the group"
    for service in services.values():
        for variable in service.get("environment", {}):
            if variable.startswith("CXPULSE_"):
                assert variable in known, f"{variable} is not a cxpulse setting"


def test_prometheus_scrapes_both_workers_and_loads_the_rules() -> None:
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = config["scrape_configs"][0]["static_configs"][0]["targets"]
    services = _compose()["services"]
    for target in targets:
        host, port = target.split(":")
        assert host in services
        assert services[host]["environment"]["CXPULSE_METRICS_PORT"] == port
    mounts = services["prometheus"]["volumes"]
    assert any(m.startswith("./deploy/prometheus/rules:/etc/prometheus/rules") for m in mounts)
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
