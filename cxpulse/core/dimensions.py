"""Label values: every dimension is a closed list, anything else is ``other``."""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("email", "chat", "phone", "social", "web", "other")
PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low", "other")

_CHANNEL_OF = {c: c for c in CHANNELS}
_PRIORITY_OF = {p: p for p in PRIORITIES}
"""Each label to its one shared string: a ticket keeps the constant, not the copy its
event decoded into (about 50 bytes each, per open ticket)."""


def channel_label(value: object) -> str:
    """The exported channel for an upstream value."""
    return _CHANNEL_OF.get(value, "other") if isinstance(value, str) else "other"


def priority_label(value: object) -> str:
    """The exported priority for an upstream value."""
    return _PRIORITY_OF.get(value, "other") if isinstance(value, str) else "other"

SOURCES: tuple[str, ...] = ("organic", "paid", "social", "email", "direct", "referral", "other")
SURVEYS: tuple[str, ...] = ("nps", "csat", "ces")

_SOURCE_SET = frozenset(SOURCES)


def source_label(value: object) -> str:
    """The exported source for an upstream value."""
    return value if isinstance(value, str) and value in _SOURCE_SET else "other"
