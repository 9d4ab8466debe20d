"""deploy/k8s manifests checked statically: selectors, ports and settings agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
CONFIG = Path(__file__).resolve().parents[2] / "cxpulse" / "config.py"


def _load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((K8S / name).read_text())
    return doc


def test_kustomization_lists_every_manifest() -> None:
    listed = set(_load("kustomization.yaml")["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


def test_selectors_labels_and_ports_agree() -> None:
    workers = _load("statefulset.yaml")
    service = _load("service.yaml")
    monitor = _load("podmonitor.yaml")
    labels = workers["spec"]["template"]["metadata"]["labels"]
    assert workers["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert monitor["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["clusterIP"] == "None"
    assert workers["spec"]["serviceName"] == service["metadata"]["name"]

    container = workers["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    port = {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"]
    assert int(env["CXPULSE_METRICS_PORT"]) == port
    assert service["spec"]["ports"][0]["targetPort"] == "metrics"
    assert monitor["spec"]["podMetricsEndpoints"][0]["port"] == "metrics"
    assert container["resources"]["requests"]
    known = set(re.findall(r"CXPULSE_[A-Z_]+", CONFIG.read_text()))
    assert set(env) <= known, set(env) - known
    # One static member per pod: its stable name, never a value shared by the replicas.
    assert env["CXPULSE_INSTANCE_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
