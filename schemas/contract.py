"""The event contract, compiled from the JSON Schema files in ``schemas/json``.

The JSON files are the single source of truth: upstream teams validate against them,
and this module turns the small subset of JSON Schema they use (object, required,
properties, type, enum, const, minimum, maximum, minLength, maxLength, and
``allOf`` of ``if``/``then`` on a ``const``) into fast checks for the workers.
A schema that uses anything else fails at import, so the two cannot drift apart
silently; ``tests/unit/test_schema_parity.py`` checks both agree on examples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson

Check = Callable[[Any], str | None]
"""A field check returns ``None`` when the value is fine, else a reason kind."""

_SUPPORTED_FIELD_KEYS = {
    "type", "enum", "const", "minimum", "maximum", "minLength", "maxLength",
    "default", "description", "format", "pattern",
}


def _load(name: str) -> dict[str, Any]:
    text = resources.files("cxpulse.schemas").joinpath("json", name).read_bytes()
    doc: dict[str, Any] = orjson.loads(text)
    return doc


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return _is_number(value)
    if kind == "integer":
        # JSON Schema counts 5.0 as an integer.
        return _is_number(value) and float(value).is_integer()
    if kind == "object":
        return isinstance(value, dict)
    raise ValueError(f"unsupported JSON Schema type {kind!r}")


def _field_check(spec: Mapping[str, Any]) -> Check:
    unknown = set(spec) - _SUPPORTED_FIELD_KEYS
    if unknown:
        raise ValueError(f"schema keywords not supported by the compiler: {sorted(unknown)}")
    kind = spec.get("type")
    enum = spec.get("enum")
    const = spec.get("const")
    has_const = "const" in spec
    lo = spec.get("minimum")
    hi = spec.get("maximum")
    min_len = spec.get("minLength")
    max_len = spec.get("maxLength")

    def check(value: Any) -> str | None:
        if kind is not None and not _type_ok(kind, value):
            return "invalid_field"
        if enum is not None and value not in enum:
            return "invalid_field"
        if has_const and value != const:
            return "invalid_field"
        if lo is not None and value < lo:
            return "out_of_range"
        if hi is not None and value > hi:
            return "out_of_range"
        if min_len is not None and len(value) < min_len:
            return "invalid_field"
        if max_len is not None and len(value) > max_len:
            return "invalid_field"
        return None

    return check


@dataclass(frozen=True, slots=True)
class Conditional:
    """``if field == value then these extra checks``."""

    field: str
    value: Any
    checks: tuple[tuple[str, Check], ...]


@dataclass(frozen=True, slots=True)
class DataContract:
    """Compiled checks for one event type's ``data`` object."""

    event_type: str
    topic: str
    key_field: str
    required: tuple[str, ...]
    checks: tuple[tuple[str, Check], ...]
    conditionals: tuple[Conditional, ...]
    schema_file: str = ""
    """Its JSON Schema file, relative to the repository (``schemas/json/…``)."""

    def violation(self, data: Mapping[str, Any]) -> str | None:
        """Return the first reason ``data`` breaks the contract, or ``None``."""
        for name in self.required:
            if name not in data:
                return f"missing_field:data.{name}"
        for name, check in self.checks:
            if name in data:
                kind = check(data[name])
                if kind is not None:
                    return f"{kind}:data.{name}"
        for cond in self.conditionals:
            if data.get(cond.field) == cond.value:
                for name, check in cond.checks:
                    if name in data:
                        kind = check(data[name])
                        if kind is not None:
                            return f"{kind}:data.{name}"
        return None


def _compile_conditional(rule: Mapping[str, Any]) -> Conditional:
    ((field, cond),) = rule["if"]["properties"].items()
    then = rule["then"]["properties"]
    return Conditional(
        field=field,
        value=cond["const"],
        checks=tuple((name, _field_check(spec)) for name, spec in then.items()),
    )


def _compile_type(doc: Mapping[str, Any], file: str) -> DataContract:
    data = doc["properties"]["data"]
    props: Mapping[str, Mapping[str, Any]] = data["properties"]
    return DataContract(
        event_type=doc["title"],
        topic=doc["x-cxpulse-topic"],
        key_field=doc["x-cxpulse-key"],
        required=tuple(data["required"]),
        checks=tuple((name, _field_check(spec)) for name, spec in props.items()),
        conditionals=tuple(_compile_conditional(r) for r in data.get("allOf", ())),
        schema_file=f"schemas/json/{file}",
    )


def _compile_envelope(doc: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, Check]]:
    props = doc["properties"]
    checks = {name: _field_check(spec) for name, spec in props.items()}
    return tuple(doc["required"]), checks


def _load_contracts() -> dict[str, DataContract]:
    contracts: dict[str, DataContract] = {}
    for entry in resources.files("cxpulse.schemas").joinpath("json").iterdir():
        if entry.name.endswith(".json") and entry.name != "cloudevent.json":
            contract = _compile_type(_load(entry.name), entry.name)
            contracts[contract.event_type] = contract
    return contracts


ENVELOPE_SCHEMA = _load("cloudevent.json")
ENVELOPE_REQUIRED, ENVELOPE_CHECKS = _compile_envelope(ENVELOPE_SCHEMA)
CONTRACTS: dict[str, DataContract] = _load_contracts()
"""Every event type of the contract, by ``type``."""

TOPIC_TYPES: dict[str, tuple[str, ...]] = {}
for _c in sorted(CONTRACTS.values(), key=lambda c: c.event_type):
    TOPIC_TYPES.setdefault(_c.topic, ())
    TOPIC_TYPES[_c.topic] += (_c.event_type,)
"""Default topic name -> the event types it carries."""
