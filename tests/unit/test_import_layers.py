"""The layers import downwards only (docs/architecture.md):

cxpulse.schemas -> cxpulse.core -> cxpulse.streams -> cxpulse.agents -> the rest of
cxpulse (exporter, worker, CLI); bench and tests on top. The arithmetic in
cxpulse/core stays pure: no Faust, Kafka or HTTP, so it can be unit-tested,
benchmarked and replayed. Everything is imported under the one ``cxpulse`` name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IO_LIBRARIES = ("faust", "mode", "aiokafka", "aiohttp", "prometheus_client", "kafka")
BARE = ("agents", "streams", "schemas")
"""The top-level folders, importable only as cxpulse.agents, cxpulse.streams, …"""

# folder -> module prefixes its code may not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "schemas": ("cxpulse.core", "cxpulse.streams", "cxpulse.agents", *IO_LIBRARIES),
    "cxpulse/core": ("cxpulse.streams", "cxpulse.agents", *IO_LIBRARIES),
    "streams": ("cxpulse.agents",),
    "agents": (),
    "cxpulse": (),
    "bench": (),
}
CORE_MAY_IMPORT = ("cxpulse.core", "cxpulse.schemas")
"""Within cxpulse, all that cxpulse/core and schemas may import."""


def imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(folder: str, root: Path = ROOT) -> list[str]:
    out = []
    base = root / folder
    for path in sorted(p for p in base.rglob("*.py") if not p.is_symlink()):
        relative = path.relative_to(root)
        if folder == "cxpulse" and relative.parts[1:2] in (("core",), *((b,) for b in BARE)):
            continue  # checked as their own folders
        for line, module in imports(path):
            bad = (_under(module, FORBIDDEN[folder]) or _under(module, BARE)
                   or _under(module, ("tests",))
                   or (folder in ("cxpulse/core", "schemas") and _under(module, ("cxpulse",))
                       and not _under(module, CORE_MAY_IMPORT))
                   or (folder != "bench" and _under(module, ("bench",))))
            if bad:
                out.append(f"{relative}:{line} imports {module}")
    return out


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_a_layer_imports_no_higher_layer(folder: str) -> None:
    assert violations(folder) == []


def test_the_check_finds_each_kind_of_violation(tmp_path: Path) -> None:
    core = tmp_path / "cxpulse" / "core"
    core.mkdir(parents=True)
    (core / "bad.py").write_text("import faust\nfrom cxpulse.exporter import x\n"
                                 "from cxpulse.core.facts import Fact\n"
                                 "from cxpulse.schemas.events import Event\n")
    (tmp_path / "streams").mkdir()
    (tmp_path / "streams" / "bad.py").write_text("from cxpulse.agents.history import process\n"
                                                 "from schemas.events import Event\n")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "bad.py").write_text("from tests.support.prom import only\n")
    assert violations("cxpulse/core", tmp_path) == [
        "cxpulse/core/bad.py:1 imports faust", "cxpulse/core/bad.py:2 imports cxpulse.exporter"]
    assert violations("streams", tmp_path) == ["streams/bad.py:1 imports cxpulse.agents.history",
                                               "streams/bad.py:2 imports schemas.events"]
    assert violations("bench", tmp_path) == ["bench/bad.py:1 imports tests.support.prom"]
