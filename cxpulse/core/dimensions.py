"""Label values: every dimension is a closed list, anything else is ``other``."""

from __future__ import annotations

CHANNELS: tuple[str, ...] = ("email", "chat", "phone", "social", "web", "other")
PRIORITIES: tuple[str, ...] = ("urgent", "high", "normal", "low", "other")

_CHANNEL_SET = frozenset(CHANNELS)
_PRIORITY_SET = frozenset(PRIORITIES)


def channel_label(value: object) -> str:
    """The exported channel for an upstream value."""
    return value if isinstance(value, str) and value in _CHANNEL_SET else "other"


def priority_label(value: object) -> str:
    """The exported priority for an upstream value."""
    return value if isinstance(value, str) and value in _PRIORITY_SET else "other"

SOURCES: tuple[str, ...] = ("organic", "paid", "social", "email", "direct", "referral", "other")
SURVEYS: tuple[str, ...] = ("nps", "csat", "ces")

_SOURCE_SET = frozenset(SOURCES)


def source_label(value: object) -> str:
    """The exported source for an upstream value."""
    return value if isinstance(value, str) and value in _SOURCE_SET else "other"
