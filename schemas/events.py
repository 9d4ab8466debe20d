"""Decoding: message bytes -> a validated :class:`Event`, or a :class:`Rejection`.

Reasons are short and machine-readable, so the dead-letter topic and the
``cx_events_rejected_total{reason}`` counter can be grouped by them:
``invalid_json``, ``not_an_object``, ``missing_field:<path>``,
``invalid_field:<path>``, ``out_of_range:<path>``, ``invalid_time``,
``unknown_type``, ``unexpected_type`` (a known type on another family's topic),
``too_large`` (over :data:`MAX_BYTES`), ``future_time`` (more than
:data:`MAX_AHEAD` after the wall clock: one event from the year 3000 must not move
"now"); admission adds ``reused_id`` (an id seen with another payload within the
dedupe horizon). Deep nesting, numbers beyond 64 bits, NaN/Infinity and non-UTF-8 bytes are
not JSON orjson accepts: ``invalid_json``.
The exported label keeps only the part before ``:``; the full reason goes into
the dead-letter headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from cxpulse.schemas.contract import CONTRACTS, ENVELOPE_CHECKS, ENVELOPE_REQUIRED, ENVELOPE_SCHEMA

MAX_BYTES = 64 * 1024
"""Events are a few hundred bytes; anything this large is not one of ours."""
MAX_AHEAD = 3600.0
"""Clock skew tolerated between upstream systems and the worker, in seconds."""

_RFC3339 = re.compile(ENVELOPE_SCHEMA["properties"]["time"]["pattern"])


Headers = Mapping[str, bytes] | Iterable[tuple[str, bytes]] | None
"""Kafka message headers as clients give them: a mapping or (name, value) pairs."""

BINARY_MARK = "ce_specversion"
"""A message with this header is a binary-mode CloudEvent (SPEC §1)."""


def _header_pairs(headers: Headers) -> Iterable[tuple[str, bytes]]:
    if headers is None:
        return ()
    if isinstance(headers, Mapping):
        return headers.items()
    return headers


def binary_attributes(headers: Headers) -> dict[str, Any] | Rejection | None:
    """The CloudEvent attributes of a binary-mode message's ``ce_*`` headers, or None
    for a structured-mode message (no ``ce_specversion`` header).

    The Kafka binding puts each attribute in a ``ce_<name>`` header (UTF-8) and the
    ``data`` in the value, whose ``content-type`` must be JSON here.
    """
    pairs = list(_header_pairs(headers))
    if not any(name == BINARY_MARK for name, _ in pairs):
        return None
    attributes: dict[str, Any] = {}
    for name, value in pairs:
        if name.startswith("ce_"):
            try:
                attributes[name[3:]] = bytes(value).decode()
            except (UnicodeDecodeError, TypeError):
                return Rejection(f"invalid_field:{name[3:]}")
        elif name.lower() == "content-type":
            kind = bytes(value or b"").decode(errors="replace").split(";")[0].strip().lower()
            if kind != "application/json" and not kind.endswith("+json"):
                return Rejection("invalid_field:content-type")
    return attributes


@dataclass(frozen=True, slots=True)
class Event:
    """A valid CloudEvent of the contract. ``time`` is Unix seconds (event time)."""

    id: str
    type: str
    time: float
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a message is a bad event."""

    reason: str

    @property
    def kind(self) -> str:
        """The reason without its field path: the bounded value used as a label."""
        return self.reason.split(":", 1)[0]


def parse_time(text: str) -> float | None:
    """RFC 3339 with an offset -> Unix seconds; ``None`` when it is not one."""
    if not _RFC3339.match(text):
        return None
    try:
        # fromisoformat accepts every RFC 3339 form once 't'/'z' are upper case.
        return datetime.fromisoformat(text.upper()).timestamp()
    except ValueError:
        return None


def decode(raw: bytes | None, topic: str | None = None, now: float | None = None,
           headers: Headers = None) -> Event | Rejection:
    """Parse and validate one message: its value, and its headers in binary mode.

    ``topic`` is the *default* topic name (``cx.tickets``…) the message came from;
    when given, a type that belongs to another topic is rejected. ``now`` is the
    wall clock; when given, events stamped more than :data:`MAX_AHEAD` after it are
    rejected.
    """
    binary = binary_attributes(headers) if headers else None
    if isinstance(binary, Rejection):
        return binary
    if raw is None:
        return Rejection("invalid_json")
    if len(raw) > MAX_BYTES:
        return Rejection("too_large")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return Rejection("invalid_json")
    if binary is not None:
        # Binary mode: the value is the data; a structured-looking value stays data.
        binary["data"] = doc
        doc = binary
    if not isinstance(doc, dict):
        return Rejection("not_an_object")
    for name in ENVELOPE_REQUIRED:
        if name not in doc:
            return Rejection(f"missing_field:{name}")
    for name, check in ENVELOPE_CHECKS.items():
        kind = check(doc[name])
        if kind is not None:
            return Rejection("invalid_time" if name == "time" else f"{kind}:{name}")
    contract = CONTRACTS.get(doc["type"])
    if contract is None:
        return Rejection("unknown_type")
    if topic is not None and contract.topic != topic:
        return Rejection("unexpected_type")
    when = parse_time(doc["time"])
    if when is None:
        return Rejection("invalid_time")
    if now is not None and when > now + MAX_AHEAD:
        return Rejection("future_time")
    data: dict[str, Any] = doc["data"]
    violation = contract.violation(data)
    if violation is not None:
        return Rejection(violation)
    return Event(doc["id"], doc["type"], when, data)

