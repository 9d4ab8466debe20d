"""``cxpulse check``: per-reason summaries of good and bad files."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cxpulse.check import check_file
from cxpulse.cli import main
from tests.support.scenario import ev

T = 1_795_340_000.0


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_a_good_file_passes_with_counts_per_type(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    lines = [orjson.dumps(ev(f"o{n}", "ticket.opened", T + n, ticket_id=f"T{n}",
                             customer_id="C", channel="chat", priority="low"))
             for n in range(3)]
    lines.append(orjson.dumps(ev("s1", "survey.answered", T, survey="ces", score=7,
                                 customer_id="C", channel="web")))
    lines.append(lines[0])  # a redelivery: not an error
    path = _write(tmp_path / "good.jsonl", lines)
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "5 events, 4 valid, 1 duplicate ids, 0 bad" in out
    assert "3  ticket.opened" in out and "1  survey.answered" in out


def test_a_bad_file_reports_every_reason_with_line_numbers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = orjson.dumps(ev("g", "contact.queued", T, contact_id="Q", customer_id="C",
                           channel="phone"))
    lines = [
        good,
        b"{not json",                                                            # 2
        b"[1, 2]",                                                               # 3
        orjson.dumps(ev("x1", "ticket.merged", T)),                              # 4
        orjson.dumps(ev("x2", "survey.answered", T, survey="nps", score=11,
                        customer_id="C", channel="web")),                        # 5
        orjson.dumps(ev("x3", "contact.queued", T, contact_id="Q2")),            # 6
        orjson.dumps({**ev("x4", "contact.abandoned", T, contact_id="Q"),
                      "time": "2026-11-22 10:00"}),                              # 7
        b"{not json either",                                                     # 8
    ]
    path = _write(tmp_path / "bad.jsonl", lines)
    report = check_file(path)
    assert report.good == 1
    assert dict(report.bad) == {
        "invalid_json": [2, 8], "not_an_object": [3], "unknown_type": [4],
        "out_of_range:data.score": [5], "missing_field:data.customer_id": [6],
        "invalid_time": [7]}
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "8 events, 1 valid, 0 duplicate ids, 7 bad" in out
    assert "2  invalid_json  (lines 2, 8)" in out


def test_a_missing_file_is_a_usage_error(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
