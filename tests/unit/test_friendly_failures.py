"""Set-up mistakes end in one line saying what to do, not a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cxpulse.cli import main
from tests.integration.conftest import free_port


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_publish_to_an_unreachable_broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXPULSE_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    path = tmp_path / "one.jsonl"
    path.write_text('{"type": "ticket.reopened", "data": {"ticket_id": "T"}}\n')
    assert main(["publish", "--quiet", str(path)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert "cannot reach Kafka at CXPULSE_KAFKA_BOOTSTRAP=127.0.0.1:1" in line
    assert "cxpulse broker" in line


def test_demo_without_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn
    base = free_port(4)
    monkeypatch.setenv("CXPULSE_METRICS_PORT", str(base + 2))
    monkeypatch.setenv("CXPULSE_WEB_PORT", str(base + 3))
    assert main(["demo", "--port", str(base)]) == 1
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("cxpulse: java not found")


def test_demo_with_its_broker_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["demo", "--port", str(port)]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"--port={port}" in line and "in use" in line


def test_a_bad_setting_names_itself(monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CXPULSE_CLOCK", "sundial")
    assert main(["worker"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert line.startswith("cxpulse: bad setting CXPULSE_CLOCK='sundial'")
