"""The contacts agent (``cx.contacts``): contact histories keyed by contact_id; their
answers go on to the customers' owners for the repeat contacts."""

from __future__ import annotations

from cxpulse.agents.history import HistoryAgent
from cxpulse.agents.repeat_contacts import RepeatContactAgent
from cxpulse.core.contacts import ContactArithmetic
from cxpulse.core.history_family import HistoryFamily


class ContactAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.contacts"

    def build_family(self) -> HistoryFamily:
        arithmetic = ContactArithmetic(self.settings.contacts)
        family = HistoryFamily(self.ingest.admission, self.histories, arithmetic,
                               self.settings.history_retention, self.settings.entity_limits)
        self.repeats = RepeatContactAgent(self.ingest.app, self.settings, arithmetic,
                                          family.now)
        self.ingest.forwarders.append(self.repeats.forward)
        return family

    async def _tick(self) -> None:
        await super()._tick()
        await self.repeats.forward()  # what a rebuild resent, without waiting for traffic
