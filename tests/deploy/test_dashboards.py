"""The committed dashboards are what deploy/grafana/build.py writes, and well formed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

GRAFANA = Path(__file__).resolve().parents[2] / "deploy" / "grafana"


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("grafana_build", GRAFANA / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_json_equals_the_generator_output() -> None:
    for name, text in _build_module().rendered().items():
        assert (GRAFANA / "dashboards" / name).read_text() == text, (
            f"{name} is stale: run python deploy/grafana/build.py")


def test_every_panel_has_a_unit_a_description_or_query_and_unique_ids() -> None:
    for path in (GRAFANA / "dashboards").glob("*.json"):
        board = json.loads(path.read_text())
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids))
        variables = {v["name"] for v in board["templating"]["list"]}
        assert variables & {"window", "days"} and "channel" in variables  # days: customers
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["fieldConfig"]["defaults"]["unit"], panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                used = {word[1:] for word in target["expr"].replace('"', " ").split()
                        if word.startswith("$")}
                assert used <= variables, (panel["title"], used - variables)
