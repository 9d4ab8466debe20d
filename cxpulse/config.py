"""Settings: ``CXPULSE_*`` environment variables plus an optional TOML file.

Every setting is read and checked once at start-up; a wrong value raises
:class:`ConfigError` whose message is one line naming the setting, which the CLI
prints before exiting with status 2.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cxpulse.addresses import servers
from cxpulse.core.business_hours import Schedule, ScheduleError, parse_schedule
from cxpulse.core.contacts import ContactTargets
from cxpulse.core.entity_limits import EntityLimits
from cxpulse.core.tickets import SlaTargets
from cxpulse.security import (
    KafkaSecurity,
    MetricsSecurity,
    SecurityError,
    load_kafka_security,
    load_metrics_security,
)

T = TypeVar("T")

CLOCKS = ("live", "replay")


class ConfigError(ValueError):
    """A setting has a wrong value; the message names it in one line."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a worker or a command needs to know, typed and checked."""

    kafka_bootstrap: str = "127.0.0.1:9092"
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9108
    web_port: int = 6066
    data_dir: Path = Path("var/worker")
    topic_prefix: str = ""
    timezone: str = "UTC"
    clock: str = "live"
    app_id: str = "cxpulse"
    partitions: int = 6
    log_level: str = "info"
    sla: SlaTargets = field(default_factory=SlaTargets)
    dedupe_horizon: float = 3600.0
    ticket_retention: float = 7 * 86400.0
    ticket_max_open_age: float = 90 * 86400.0
    """How long a ticket that never closes is kept after its last event."""
    contacts: ContactTargets = field(default_factory=ContactTargets)
    history_retention: float = 25 * 3600.0
    """How long contact and session histories outlive their last event."""
    entity_max_events: int = 2000
    """History entries one entity (a ticket, a contact, a session) may have; more are
    dead-lettered as ``entity_too_large``."""
    entity_max_bytes: int = 256 * 1024
    """Serialised size one entity's history may reach (its changelog record must stay
    below Kafka's 1 MB message limit)."""
    replication_factor: int = 1
    """Replicas of the tables' changelog topics (3 in production)."""
    instance_id: str | None = None
    """Kafka static group membership (KIP-345): a worker restarted under the same id
    takes its partitions back at once, without waiting out the session timeout."""
    agent_offline_after: float = 12 * 3600.0
    """``agents.offline_after``: an agent silent this long counts as offline."""
    gross_margin: float = 1.0
    """``customers.gross_margin``: the share of revenue the lifetime value counts."""
    kafka_security: KafkaSecurity = field(default_factory=KafkaSecurity)
    metrics_security: MetricsSecurity = field(default_factory=MetricsSecurity)

    @property
    def entity_limits(self) -> EntityLimits:
        return EntityLimits(self.entity_max_events, self.entity_max_bytes)

    def topic(self, name: str) -> str:
        """The real Kafka topic for a default topic name such as ``cx.tickets``."""
        return self.topic_prefix + name


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: Any) -> float:
    """Seconds from ``900``, ``"900s"``, ``"15m"``, ``"4h"`` or ``"7d"``."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m and float(m.group(1)) > 0:
            return float(m.group(1)) * _UNIT[m.group(2)]
    raise ValueError("expected a positive duration such as 900, '15m', '4h' or '7d'")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= (port := int(text)) <= 65535:
        raise ValueError("expected a port number 1-65535")
    return port


def _positive_int(text: str) -> int:
    if not text.isdigit() or (n := int(text)) < 1:
        raise ValueError("expected a positive integer")
    return n


def _clock(text: str) -> str:
    if text not in CLOCKS:
        raise ValueError(f"expected one of {', '.join(CLOCKS)}")
    return text


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("expected an IANA time zone such as UTC or Europe/Paris") from exc
    return text


def _bootstrap(text: str) -> str:
    servers(text)  # raises ValueError naming the form
    return text


def _log_level(text: str) -> str:
    if text.lower() not in {"debug", "info", "warning", "error"}:
        raise ValueError("expected debug, info, warning or error")
    return text.lower()


def _nonempty(text: str) -> str:
    if not text:
        raise ValueError("expected a non-empty value")
    return text


def _read(env: Mapping[str, str], name: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"bad setting {name}={raw!r}: {exc}") from None


def _targets(doc: Mapping[str, Any], kind: str, defaults: Mapping[str, float]) -> dict[str, float]:
    section = doc.get("sla", {}).get(kind, {})
    if not isinstance(section, dict):
        raise ConfigError(f"bad setting sla.{kind} in CXPULSE_CONFIG: expected a table")
    out = dict(defaults)
    for priority, value in section.items():
        if priority not in defaults:
            raise ConfigError(f"bad setting sla.{kind}.{priority} in CXPULSE_CONFIG: "
                              f"expected one of {', '.join(defaults)}")
        try:
            out[priority] = parse_duration(value)
        except ValueError as exc:
            raise ConfigError(f"bad setting sla.{kind}.{priority}={value!r} in CXPULSE_CONFIG: "
                              f"{exc}") from None
    return out


def _priority_schedules(doc: Mapping[str, Any]) -> dict[str, Schedule | None]:
    """``[sla.schedule]``: priority -> one of the ``[schedules.NAME]`` (each checked)."""
    schedules: dict[str, Schedule] = {}
    for name, table in doc.get("schedules", {}).items():
        try:
            schedules[name] = parse_schedule(name, table)
        except ScheduleError as exc:
            raise ConfigError(f"bad setting schedules.{name} in CXPULSE_CONFIG: "
                              f"{str(exc).removeprefix(f'schedule {name!r}: ')}") from None
    out: dict[str, Schedule | None] = {}
    for priority, name in doc.get("sla", {}).get("schedule", {}).items():
        if name not in schedules:
            known = ", ".join(sorted(schedules)) or "none defined"
            raise ConfigError(f"bad setting sla.schedule.{priority}={name!r} in CXPULSE_CONFIG: "
                              f"no [schedules.{name}] table ({known})")
        out[priority] = schedules[name]
    return out


PAUSABLE = ("pending", "on_hold")


def _pause_statuses(doc: Mapping[str, Any], default: frozenset[str]) -> frozenset[str]:
    value = doc.get("sla", {}).get("pause", {}).get("statuses")
    if value is None:
        return default
    if not isinstance(value, list) or not all(v in PAUSABLE for v in value):
        raise ConfigError(f"bad setting sla.pause.statuses={value!r} in CXPULSE_CONFIG: "
                          f"expected a list of {', '.join(PAUSABLE)} (may be empty)")
    return frozenset(value)


def _duration_setting(doc: Mapping[str, Any], section: str, key: str, default: float) -> float:
    value = doc.get(section, {}).get(key)
    if value is None:
        return default
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"bad setting {section}.{key}={value!r} in CXPULSE_CONFIG: "
                          f"{exc}") from None


def _load_toml(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"bad setting CXPULSE_CONFIG={path!r}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"bad setting CXPULSE_CONFIG={path!r}: not valid TOML ({exc})") from None


PRIORITY_KEYS = frozenset({"urgent", "high", "normal", "low"})
TOML_KEYS: dict[str, frozenset[str]] = {
    "sla.first_response": PRIORITY_KEYS,
    "sla.resolution": PRIORITY_KEYS,
    "sla.next_reply": PRIORITY_KEYS,
    "sla.schedule": PRIORITY_KEYS,
    "sla.pause": frozenset({"statuses"}),
    "dedupe": frozenset({"horizon"}),
    "tickets": frozenset({"retention", "max_open_age"}),
    "history": frozenset({"retention"}),
    "contacts": frozenset({"short_abandon", "service_level_target", "staffing_service_level",
                           "repeat_window"}),
    "entities": frozenset({"max_events", "max_bytes"}),
    "customers": frozenset({"gross_margin"}),
    "agents": frozenset({"offline_after"}),
}
"""Every table of the TOML file and the keys it may hold."""

MAX_ENTITY_BYTES = 900 * 1024
"""``entities.max_bytes`` at most: a changelog record must fit Kafka's default 1 MB."""


def check_known_keys(doc: Mapping[str, Any]) -> None:
    """A misspelt or unsupported key stops start-up instead of being ignored."""

    def walk(table: Mapping[str, Any], path: str) -> None:
        for key, value in table.items():
            name = f"{path}.{key}" if path else key
            if name == "schedules":  # any names; parse_schedule checks each one's keys
                if not isinstance(value, dict) or not all(
                        isinstance(v, dict) for v in value.values()):
                    raise ConfigError("bad setting schedules in CXPULSE_CONFIG: expected "
                                      "tables like [schedules.office]")
            elif name in TOML_KEYS:
                if not isinstance(value, dict):
                    raise ConfigError(f"bad setting {name} in CXPULSE_CONFIG: expected a table")
                unknown = sorted(set(value) - TOML_KEYS[name])
                if unknown:
                    raise ConfigError(f"unknown setting {name}.{unknown[0]} in CXPULSE_CONFIG: "
                                      f"{name} takes {', '.join(sorted(TOML_KEYS[name]))}")
            elif isinstance(value, dict) and any(k.startswith(name + ".") for k in TOML_KEYS):
                walk(value, name)
            else:
                raise ConfigError(f"unknown setting {name} in CXPULSE_CONFIG: known tables are "
                                  f"{', '.join(sorted([*TOML_KEYS, 'schedules.NAME']))}")

    walk(doc, "")


def _int_setting(doc: Mapping[str, Any], section: str, key: str, default: int,
                 lo: int, hi: int) -> int:
    value = doc.get(section, {}).get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(f"bad setting {section}.{key}={value!r} in CXPULSE_CONFIG: "
                          f"expected an integer from {lo} to {hi}")
    return value


def _ratio_setting(doc: Mapping[str, Any], section: str, key: str, default: float) -> float:
    value = doc.get(section, {}).get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ConfigError(f"bad setting {section}.{key}={value!r} in CXPULSE_CONFIG: "
                          "expected a number above 0 and at most 1")
    return float(value)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise :class:`ConfigError` on the first bad one."""
    env = os.environ if env is None else env
    d = Settings()
    config_path = env.get("CXPULSE_CONFIG")
    doc = _load_toml(config_path) if config_path else {}
    check_known_keys(doc)
    sla = SlaTargets(
        first_response=_targets(doc, "first_response", d.sla.first_response),
        resolution=_targets(doc, "resolution", d.sla.resolution),
        next_reply=_targets(doc, "next_reply", d.sla.next_reply),
        schedules=_priority_schedules(doc),
        pause_statuses=_pause_statuses(doc, d.sla.pause_statuses),
    )
    retention = _duration_setting(doc, "tickets", "retention", d.ticket_retention)
    if retention < 25 * 3600:
        raise ConfigError("bad setting tickets.retention in CXPULSE_CONFIG: "
                          "must be at least 25h (the longest window plus a margin)")
    history_retention = _duration_setting(doc, "history", "retention", d.history_retention)
    if history_retention < 25 * 3600:
        raise ConfigError("bad setting history.retention in CXPULSE_CONFIG: "
                          "must be at least 25h (the longest window plus a margin)")
    max_open_age = _duration_setting(doc, "tickets", "max_open_age", d.ticket_max_open_age)
    if max_open_age < retention:
        raise ConfigError("bad setting tickets.max_open_age in CXPULSE_CONFIG: "
                          "must be at least tickets.retention")
    offline_after = _duration_setting(doc, "agents", "offline_after", d.agent_offline_after)
    if not 60 <= offline_after <= 7 * 86400:
        raise ConfigError("bad setting agents.offline_after in CXPULSE_CONFIG: "
                          "must be between 1m and 7d")
    try:
        kafka_security, metrics_security = load_kafka_security(env), load_metrics_security(env)
    except SecurityError as exc:
        raise ConfigError(str(exc)) from None
    contacts = ContactTargets(
        short_abandon=_duration_setting(doc, "contacts", "short_abandon",
                                        d.contacts.short_abandon),
        service_level=_duration_setting(doc, "contacts", "service_level_target",
                                        d.contacts.service_level),
        staffing_goal=_ratio_setting(doc, "contacts", "staffing_service_level",
                                     d.contacts.staffing_goal),
        repeat_window=_duration_setting(doc, "contacts", "repeat_window",
                                        d.contacts.repeat_window),
    )
    if not 3600 <= contacts.repeat_window <= 90 * 86400:
        raise ConfigError("bad setting contacts.repeat_window in CXPULSE_CONFIG: "
                          "must be between 1h and 90d")
    return Settings(
        kafka_bootstrap=_read(env, "CXPULSE_KAFKA_BOOTSTRAP", _bootstrap, d.kafka_bootstrap),
        metrics_host=_read(env, "CXPULSE_METRICS_HOST", _nonempty, d.metrics_host),
        metrics_port=_read(env, "CXPULSE_METRICS_PORT", _port, d.metrics_port),
        web_port=_read(env, "CXPULSE_WEB_PORT", _port, d.web_port),
        data_dir=_read(env, "CXPULSE_DATA_DIR", Path, d.data_dir),
        topic_prefix=env.get("CXPULSE_TOPIC_PREFIX", d.topic_prefix),
        timezone=_read(env, "CXPULSE_TIMEZONE", _timezone, d.timezone),
        clock=_read(env, "CXPULSE_CLOCK", _clock, d.clock),
        app_id=_read(env, "CXPULSE_APP_ID", _nonempty, d.app_id),
        partitions=_read(env, "CXPULSE_PARTITIONS", _positive_int, d.partitions),
        log_level=_read(env, "CXPULSE_LOG_LEVEL", _log_level, d.log_level),
        sla=sla,
        dedupe_horizon=_duration_setting(doc, "dedupe", "horizon", d.dedupe_horizon),
        ticket_retention=retention,
        ticket_max_open_age=max_open_age,
        contacts=contacts,
        history_retention=history_retention,
        entity_max_events=_int_setting(doc, "entities", "max_events", d.entity_max_events,
                                       10, 100_000),
        entity_max_bytes=_int_setting(doc, "entities", "max_bytes", d.entity_max_bytes,
                                      4096, MAX_ENTITY_BYTES),
        replication_factor=_read(env, "CXPULSE_REPLICATION_FACTOR", _positive_int,
                                 d.replication_factor),
        instance_id=_read(env, "CXPULSE_INSTANCE_ID", _nonempty, None),
        kafka_security=kafka_security,
        metrics_security=metrics_security,
        gross_margin=_ratio_setting(doc, "customers", "gross_margin", d.gross_margin),
        agent_offline_after=offline_after,
    )
