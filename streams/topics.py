"""The dead-letter topic's name (SPEC §3); the event topics are the families'
(``cxpulse/families.py``)."""

from __future__ import annotations

DEADLETTER = "cx.deadletter"
