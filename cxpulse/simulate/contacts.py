"""Contact-center queue traffic: queued contacts answered after a log-normal wait,
or abandoned (some within seconds: short abandons); an answered contact ends after a
log-normal talk time, sometimes a hold, and after-contact work (acw)."""

from __future__ import annotations

from cxpulse.simulate.base import Timed, Traffic, lognormal, pick

CHANNEL_MIX = {"phone": 0.55, "chat": 0.35, "social": 0.05, "web": 0.04, "pigeon": 0.01}
ABANDON = 0.12
SHORT_ABANDON = 0.04
ANSWER_MEDIAN = 18.0
TALK_MEDIAN = {"phone": 270.0, "chat": 420.0}
"""Seconds; a chat runs longer but the agent handles it alongside others."""
HOLD = 0.3
"""The share of answered contacts put on hold."""
CALL_AGAIN = 0.15
"""The share of contacts from a customer who contacted the center lately."""
RECENT = 500
"""Customers remembered as "lately"."""


class ContactTraffic(Traffic):
    family = "contact"
    source = "simulator/acd"

    def __init__(self, seed: int, per_hour: float) -> None:
        super().__init__(seed, per_hour)
        self.recent: list[str] = []
        """Customers of the latest contacts: some call again."""

    def life(self, queued: float) -> list[Timed]:
        rng = self.rng
        cid = f"Q-{self.seed}-{self.next_entity()}"
        recent = self.recent
        if recent and rng.random() < CALL_AGAIN:
            customer = recent[rng.randrange(len(recent))]
        else:
            customer = f"C-{rng.randrange(50_000)}"
            recent.append(customer)
            del recent[:-RECENT]
        channel = pick(rng, CHANNEL_MIX)
        events = [self.event("contact.queued", queued, {
            "contact_id": cid, "customer_id": customer, "channel": channel,
            "queue": "support"})]
        roll = rng.random()
        if roll < SHORT_ABANDON:
            events.append(self.event("contact.abandoned", queued + rng.uniform(0.5, 4.9),
                                     {"contact_id": cid}))
        elif roll < SHORT_ABANDON + ABANDON:
            events.append(self.event("contact.abandoned", queued + 5 + lognormal(rng, 45.0),
                                     {"contact_id": cid}))
        else:
            answered = queued + lognormal(rng, ANSWER_MEDIAN)
            agent = f"A-{rng.randrange(40)}"
            events.append(self.event("contact.answered", answered,
                                     {"contact_id": cid, "agent_id": agent}))
            talk = round(lognormal(rng, TALK_MEDIAN.get(channel, 300.0)), 1)
            hold = round(lognormal(rng, 40.0), 1) if rng.random() < HOLD else 0.0
            acw = round(lognormal(rng, 30.0), 1)
            events.append(self.event("contact.ended", answered + talk + hold + acw, {
                "contact_id": cid, "agent_id": agent, "talk_seconds": talk,
                "hold_seconds": hold, "acw_seconds": acw}))
        return events
