"""Realistic ticket traffic.

A ticket's life: opened (channel and priority from a mix that includes a few
values outside the contract's lists, exported as ``other``), maybe a bot
auto-reply and private notes, a first public agent reply after a log-normal
delay whose median depends on priority (some tickets are never answered), maybe
more replies, a log-normal resolution, sometimes a reopen and a second resolution.
"""

from __future__ import annotations

from cxpulse.simulate.base import Timed, Traffic, lognormal, pick

CHANNEL_MIX = {"email": 0.38, "chat": 0.25, "phone": 0.15, "social": 0.10, "web": 0.10,
               "fax": 0.02}
PRIORITY_MIX = {"urgent": 0.05, "high": 0.20, "normal": 0.55, "low": 0.18, "p5": 0.02}
FIRST_REPLY_MEDIAN = {"urgent": 600.0, "high": 1800.0, "normal": 5400.0, "low": 6 * 3600.0}
NEVER_ANSWERED = 0.06
NEVER_RESOLVED = 0.10
REOPEN = 0.08


class TicketTraffic(Traffic):
    """Whole ticket lives."""

    family = "ticket"
    source = "simulator/helpdesk"

    def __init__(self, seed: int = 1, tickets_per_hour: float = 600.0) -> None:
        super().__init__(seed, tickets_per_hour)

    def life(self, opened: float) -> list[Timed]:
        """Every event of one new ticket with its event time (not sorted)."""
        rng = self.rng
        tid = f"T-{self.seed}-{self.next_entity()}"
        priority = pick(rng, PRIORITY_MIX)
        events = [self.event("ticket.opened", opened, {
            "ticket_id": tid, "customer_id": f"C-{rng.randrange(50_000)}",
            "channel": pick(rng, CHANNEL_MIX), "priority": priority})]
        agent = f"A-{rng.randrange(40)}"
        if rng.random() < 0.3:
            events.append(self.event("ticket.responded", opened + 5, {
                "ticket_id": tid, "agent_id": "bot", "by": "bot"}))
        if rng.random() < NEVER_ANSWERED:
            return events
        first = opened + lognormal(rng, FIRST_REPLY_MEDIAN.get(priority, 5400.0))
        if rng.random() < 0.2:
            events.append(self.event("ticket.responded", first - 60, {
                "ticket_id": tid, "agent_id": agent, "public": False}))
        replies = [first]
        for _ in range(rng.choice((0, 0, 1, 2))):
            replies.append(replies[-1] + lognormal(rng, 3600.0))
        events += [self.event("ticket.responded", t, {"ticket_id": tid, "agent_id": agent})
                   for t in replies]
        if rng.random() < NEVER_RESOLVED:
            return events
        resolved = replies[-1] + lognormal(rng, 1800.0)
        events.append(self.event("ticket.resolved", resolved,
                                 {"ticket_id": tid, "agent_id": agent}))
        if rng.random() < REOPEN:
            reopened = resolved + lognormal(rng, 7200.0)
            events.append(self.event("ticket.reopened", reopened, {"ticket_id": tid}))
            again = reopened + lognormal(rng, 1200.0)
            events.append(self.event("ticket.responded", again, {
                "ticket_id": tid, "agent_id": agent}))
            events.append(self.event("ticket.resolved", again + lognormal(rng, 900.0), {
                "ticket_id": tid, "agent_id": agent}))
        return events
