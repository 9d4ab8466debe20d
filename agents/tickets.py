"""The ticket agent (``cx.tickets``): Faust wiring around :class:`TicketFamily`."""

from __future__ import annotations

import time
from typing import Any

import faust

from agents.history import flush_all, forget_on_revoke, process, rebuild
from agents.team_quantiles import TeamQuantileAgent
from cxpulse.config import Settings
from cxpulse.core.admission import IngestStats
from cxpulse.core.ticket_family import TicketFamily
from streams.deadletter import DeadLetters
from streams.ingest import TopicIngest

TOPIC = "cx.tickets"


class TicketAgent:
    """One agent over the topic, one history table, a 1 s timer for the live clock."""

    def __init__(self, app: faust.App, settings: Settings, stats: IngestStats,
                 deadletters: DeadLetters, team: TeamQuantileAgent) -> None:
        self.settings = settings
        self.team = team
        self.ingest = TopicIngest(app, settings, TOPIC, "tickets", stats, deadletters)
        histories = self.ingest.table("ticket-histories")
        self.family = TicketFamily(self.ingest.admission, histories, settings.sla,
                                   settings.ticket_retention, settings.ticket_max_open_age,
                                   settings.entity_limits)
        app.agent(self.ingest.topic, name="tickets")(self._process)
        app.timer(1.0)(self._tick)
        histories.table.on_recover(self._rebuild)
        forget_on_revoke(app, self.family, self.ingest)

    async def _process(self, stream: Any) -> None:
        await process(stream, self.family, self.ingest, self.team, "tickets")

    async def _tick(self) -> None:
        if self.settings.clock == "live":
            self.family.tick(time.time())
            flush_all(self.ingest.tables)  # breach marks written by the tick

    async def _rebuild(self) -> None:
        await rebuild(self.family, self.ingest)
