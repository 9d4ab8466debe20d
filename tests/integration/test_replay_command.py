"""``cxpulse replay``: publish, replay, and a summary that matches the reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.integration.conftest import Env
from tests.reference.tickets_naive import expected_ticket_metrics
from tests.support import scenario

pytestmark = pytest.mark.integration


def _row(out: str, metric: str) -> str:
    match = re.search(rf"^\S*\s+{re.escape(metric)}\s+(\S+)", out, re.M)
    assert match, f"no {metric!r} row in:\n{out}"
    return match.group(1).replace(",", "")


def test_replay_prints_the_final_numbers(cx_env: Env, tmp_path: Path) -> None:
    s = scenario.build(seed=3, hours=1.5, rate=120)
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(b"\n".join(s.lines) + b"\n")
    done = cx_env.run("replay", "--quiet", str(path), timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]

    expected = expected_ticket_metrics(s.valid, s.watermark())

    def total(name: str, window: str | None = None) -> int:
        return int(sum(v for (n, labels), v in expected.items() if n == name
                       and (window is None or ("window", window) in labels)))

    out = done.stdout
    assert int(_row(out, "accepted")) == len(s.valid)
    assert int(_row(out, "duplicates")) == s.duplicates
    assert int(_row(out, "opened (24h)")) == total("cx_tickets_opened", "24h")
    assert int(_row(out, "resolved (24h)")) == total("cx_tickets_resolved", "24h")
    assert int(_row(out, "backlog now")) == total("cx_tickets_open")
    assert int(_row(out, "in breach now")) == total("cx_tickets_in_breach")
