"""The layers import downwards only (docs/architecture.md):

schemas -> cxpulse.core -> streams -> agents -> cxpulse (exporter, worker, CLI) ;
bench and tests on top. The arithmetic in cxpulse/core stays pure: no Faust, Kafka or
HTTP, so it can be unit-tested, benchmarked and replayed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = {"faust", "mode", "aiokafka", "aiohttp", "prometheus_client", "kafka"}

# layer -> the top-level names it may not import
FORBIDDEN: dict[str, set[str]] = {
    "schemas": {"cxpulse", "streams", "agents", "bench", "tests", *IO_LIBRARIES},
    "cxpulse/core": {"streams", "agents", "bench", "tests", *IO_LIBRARIES},
    "streams": {"agents", "bench", "tests"},
    "agents": {"bench", "tests"},
    "cxpulse": {"bench", "tests"},
    "bench": {"tests"},
}
CORE_MAY_IMPORT_FROM_CXPULSE = ("cxpulse.core",)


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(layer: str, root: Path = ROOT) -> list[str]:
    out = []
    for path in sorted((root / layer).rglob("*.py")):
        if layer == "cxpulse" and path.is_relative_to(root / "cxpulse/core"):
            continue  # checked as its own layer
        for line, module in imports(path):
            top = module.split(".")[0]
            if top in FORBIDDEN[layer] and not (
                    layer == "cxpulse/core" and module.startswith(CORE_MAY_IMPORT_FROM_CXPULSE)):
                out.append(f"{path.relative_to(root)}:{line} imports {module}")
            if layer == "cxpulse/core" and top == "cxpulse" and not module.startswith(
                    CORE_MAY_IMPORT_FROM_CXPULSE):
                out.append(f"{path.relative_to(root)}:{line} imports {module}")
    return out


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_no_higher_layer(layer: str) -> None:
    assert violations(layer) == []


def test_the_check_finds_each_kind_of_violation(tmp_path: Path) -> None:
    core = tmp_path / "cxpulse" / "core"
    core.mkdir(parents=True)
    (core / "bad.py").write_text("import faust\nfrom cxpulse.exporter import x\n"
                                 "from cxpulse.core.facts import Fact\n")
    (tmp_path / "streams").mkdir()
    (tmp_path / "streams" / "bad.py").write_text("from agents.history import process\n")
    assert violations("cxpulse/core", tmp_path) == [
        "cxpulse/core/bad.py:1 imports faust", "cxpulse/core/bad.py:2 imports cxpulse.exporter"]
    assert violations("streams", tmp_path) == ["streams/bad.py:1 imports agents.history"]
