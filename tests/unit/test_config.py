"""Settings: defaults, env and TOML, and one clear line for every bad value."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from cxpulse.config import ConfigError, load_settings
from cxpulse.demo import demo_sla_config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    s = load_settings({})
    assert s.kafka_bootstrap == "127.0.0.1:9092"
    assert s.clock == "live"
    assert s.sla.deadlines(0.0, "urgent") == (900.0, 4 * 3600.0)
    assert s.sla.deadlines(0.0, "other") == (4 * 3600.0, 72 * 3600.0)
    assert s.topic("cx.tickets") == "cx.tickets"


def test_environment_and_toml(tmp_path: Path) -> None:
    toml = tmp_path / "cx.toml"
    toml.write_text('[sla.first_response]\nurgent = "5m"\nlow = 7200\n'
                    '[dedupe]\nhorizon = "2h"\n[tickets]\nretention = "30d"\n'
                    '[contacts]\nstaffing_service_level = 0.9\nrepeat_window = "3d"\n'
                    '[agents]\noffline_after = "8h"\n')
    s = load_settings({"CXPULSE_CONFIG": str(toml), "CXPULSE_CLOCK": "replay",
                       "CXPULSE_TOPIC_PREFIX": "prod.", "CXPULSE_METRICS_PORT": "9200",
                       "CXPULSE_TIMEZONE": "Europe/Paris"})
    assert s.sla.first_response["urgent"] == 300.0
    assert s.sla.first_response["low"] == 7200.0
    assert s.sla.first_response["high"] == 3600.0
    assert s.dedupe_horizon == 7200.0
    assert s.ticket_retention == 30 * 86400.0
    assert s.contacts.staffing_goal == 0.9
    assert s.agent_offline_after == 8 * 3600
    assert s.contacts.repeat_window == 3 * 86400
    assert (s.clock, s.metrics_port, s.timezone) == ("replay", 9200, "Europe/Paris")
    assert s.topic("cx.tickets") == "prod.cx.tickets"


@pytest.mark.parametrize(("env", "names"), [
    ({"CXPULSE_METRICS_PORT": "abc"}, "CXPULSE_METRICS_PORT"),
    ({"CXPULSE_METRICS_PORT": "70000"}, "CXPULSE_METRICS_PORT"),
    ({"CXPULSE_CLOCK": "wall"}, "CXPULSE_CLOCK"),
    ({"CXPULSE_TIMEZONE": "Mars/Olympus"}, "CXPULSE_TIMEZONE"),
    ({"CXPULSE_KAFKA_BOOTSTRAP": "localhost"}, "CXPULSE_KAFKA_BOOTSTRAP"),
    ({"CXPULSE_PARTITIONS": "0"}, "CXPULSE_PARTITIONS"),
    ({"CXPULSE_CONFIG": "/nonexistent/cx.toml"}, "CXPULSE_CONFIG"),
])
def test_bad_settings_name_themselves_in_one_line(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert names in message and "\n" not in message


def test_sla_policy_from_toml(tmp_path: Path) -> None:
    toml = tmp_path / "cx.toml"
    toml.write_text('[sla.next_reply]\nurgent = "30m"\n[sla.schedule]\nnormal = "office"\n'
                    'low = "office"\n[sla.pause]\nstatuses = ["on_hold"]\n'
                    '[schedules.office]\ntimezone = "Europe/Berlin"\nmon = ["09:00-17:00"]\n'
                    'tue = ["09:00-12:30", "13:30-17:00"]\nholidays = ["2026-12-24"]\n'
                    'country = "DE"\nsubdivision = "BE"\n')
    s = load_settings({"CXPULSE_CONFIG": str(toml)})
    assert s.sla.next_reply == {"urgent": 1800.0, "high": 4 * 3600.0, "normal": 8 * 3600.0,
                                "low": 24 * 3600.0}
    office = s.sla.schedules["normal"]
    assert office is not None and office is s.sla.schedules["low"]
    assert "urgent" not in s.sla.schedules  # calendar time
    assert s.sla.pause_statuses == frozenset({"on_hold"})
    assert (office.zone, office.country, office.subdivision) == ("Europe/Berlin", "DE", "BE")


@pytest.mark.parametrize(("toml", "names"), [
    ('[sla.first_response]\nurgent = "soon"\n', "sla.first_response.urgent"),
    ('[sla.resolution]\ncritical = "1h"\n', "sla.resolution.critical"),
    ('[tickets]\nretention = "2h"\n', "tickets.retention"),
    ('[tickets]\nmax_open_age = "3d"\n', "tickets.max_open_age"),
    ("not toml [", "CXPULSE_CONFIG"),
    ("[contacts]\nstaffing_service_level = 80\n", "contacts.staffing_service_level"),
    ('[agents]\noffline_after = "10s"\n', "agents.offline_after"),
    ('[contacts]\nrepeat_window = "400d"\n', "contacts.repeat_window"),
    ('[agents]\noffline_after = "eventually"\n', "agents.offline_after"),
    ('[sla.next_reply]\nnormal = "never"\n', "sla.next_reply.normal"),
    ('[sla.schedule]\nnormal = "office"\n', "sla.schedule.normal='office'"),
    ('[sla.pause]\nstatuses = ["open"]\n', "sla.pause.statuses"),
    ('[sla.pause]\nwhen = "always"\n', "sla.pause.when"),
    ('[schedules.office]\ntimezone = "Mars/Olympus"\nmon = ["09:00-17:00"]\n',
     "schedules.office"),
    ('[schedules.office]\ntimezone = "UTC"\nmon = ["09:00-17:00", "16:00-18:00"]\n',
     "CXPULSE_CONFIG: mon intervals 09:00-17:00 and 16:00-18:00 overlap"),
    ('[schedules.office]\ntimezone = "UTC"\nmon = ["17:00-17:00"]\n', "schedules.office"),
    ('[schedules.office]\ntimezone = "UTC"\nmon = ["09:00-17:00"]\ncountry = "XX"\n',
     "schedules.office in CXPULSE_CONFIG: unknown holiday country"),
    ('[schedules.office]\ntimezone = "UTC"\nfriday = ["09:00-17:00"]\n',
     "schedules.office in CXPULSE_CONFIG: unknown key(s) friday"),
    ('[schedules]\noffice = "9-5"\n', "schedules"),
])
def test_bad_toml_values(tmp_path: Path, toml: str, names: str) -> None:
    path = tmp_path / "cx.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings({"CXPULSE_CONFIG": str(path)})
    assert names in str(info.value) and "\n" not in str(info.value)


def test_the_cli_prints_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from cxpulse.cli import main

    monkeypatch.setenv("CXPULSE_CLOCK", "sometimes")
    assert main(["worker"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cxpulse: bad setting CXPULSE_CLOCK='sometimes'")
    assert "\n" not in err


def test_the_shipped_sla_policies_load(tmp_path: Path) -> None:
    """The Kubernetes ConfigMap's file and the demo's policy are valid settings."""
    configmap = yaml.safe_load((ROOT / "deploy" / "k8s" / "configmap.yaml").read_text())
    demo = demo_sla_config("America/New_York", 2026)
    for name, text in (("configmap", configmap["data"]["cxpulse.toml"]), ("demo", demo)):
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        sla = load_settings({"CXPULSE_CONFIG": str(path)}).sla
        assert set(sla.schedules) == {"normal", "low"}, name
    office = load_settings({"CXPULSE_CONFIG": str(tmp_path / "demo.toml")}).sla.schedules["low"]
    assert office is not None and office.zone == "America/New_York"
    assert office.holidays == frozenset({date(2026, 12, 25)})
