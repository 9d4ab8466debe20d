"""Agents for the families whose metrics are not built yet (contacts, sessions, …).

They already do everything common to all topics: validation, dead letters, dedupe,
the watermark and the cx_events_* counters, so every topic is watched from day one.
"""

from __future__ import annotations

from typing import Any

import faust

from cxpulse.config import Settings
from cxpulse.core.admission import IngestStats
from streams.deadletter import DeadLetters
from streams.ingest import TopicIngest


class CountingAgent:
    """Admits a topic's events and counts them; no family arithmetic yet."""

    def __init__(self, app: faust.App, settings: Settings, topic: str, stats: IngestStats,
                 deadletters: DeadLetters) -> None:
        family = topic.removeprefix("cx.")
        self.ingest = TopicIngest(app, settings, topic, family, stats, deadletters)
        app.agent(self.ingest.topic, name=family)(self._process)
        self.ingest.marks.on_recover(self._rebuild)

    async def _process(self, stream: Any) -> None:
        async for event in stream.events():
            await self.ingest.admit(event.message)
            self.ingest.admission.expire(event.message.partition)

    async def _rebuild(self) -> None:
        self.ingest.admission.rebuild(self.ingest.assigned_partitions())
