"""Per-topic plumbing shared by every agent: tables, admission, dead letters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import faust

from cxpulse.config import Settings
from cxpulse.core.admission import Admission, IngestStats
from cxpulse.streams.app import assigned_partitions, json_table_schema
from cxpulse.streams.changelog import DeferredChangelog
from cxpulse.streams.deadletter import DeadLetters
from cxpulse.streams.gap_repair import GapReader


class TopicIngest:
    """A topic, its tables, its dedupe table (which also gives the watermarks back
    after a recovery), and the admission logic over it."""

    def __init__(self, app: faust.App, settings: Settings, name: str, family: str,
                 stats: IngestStats, deadletters: DeadLetters) -> None:
        self.app = app
        self.settings = settings
        self.name = name
        self.deadletters = deadletters
        self.topic = app.topic(settings.topic(name), key_serializer="raw",
                               value_serializer="raw", partitions=settings.partitions)
        self.gaps = GapReader(settings, self.topic.get_topic_name())
        """Reads again the offsets the group consumer skipped."""
        self.rebuilding = asyncio.Lock()
        """Held while the topic's family is rebuilt from its tables."""
        self.tables: list[DeferredChangelog] = []
        """Every table the topic's agent writes, flushed after each batch."""
        self.forwarders: list[Callable[[], Awaitable[None]]] = []
        """Sends what the family derived for other agents, after each batch."""
        self.seen = self.table(f"{family}-dedupe")
        self.admission = Admission(name, stats, self.seen,
                                   replay_clock=settings.clock == "replay",
                                   dedupe_horizon=settings.dedupe_horizon)

    def table(self, name: str) -> DeferredChangelog:
        """A changelog-backed table co-partitioned with the topic, written per batch."""
        table: Any = self.app.Table(name, partitions=self.settings.partitions,
                                    schema=json_table_schema())
        deferred = DeferredChangelog(table)
        self.tables.append(deferred)
        return deferred

    def assigned_partitions(self) -> set[int]:
        """Partitions of this topic this worker owns now."""
        return assigned_partitions(self.app, self.topic.get_topic_name())
