"""Topic names of the contract (SPEC §1) and the dead-letter topic."""

from __future__ import annotations

from cxpulse.schemas.contract import TOPIC_TYPES

EVENT_TOPICS: tuple[str, ...] = tuple(sorted(TOPIC_TYPES))
"""Default names of the topics upstream systems publish to (cx.tickets, …)."""

DEADLETTER = "cx.deadletter"


def all_topics(prefix: str = "") -> list[str]:
    """Every topic the broker must have: event topics and the dead-letter topic."""
    return [prefix + name for name in (*EVENT_TOPICS, DEADLETTER)]
