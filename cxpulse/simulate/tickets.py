"""Realistic ticket traffic.

A ticket's life: opened (channel and priority from a mix that includes a few
values outside the contract's lists, exported as ``other``), maybe a bot
auto-reply and private notes, a first public agent reply after a log-normal
delay whose median depends on priority (some tickets are never answered), maybe a
conversation (the agent sets the ticket pending, the customer replies, the agent
answers again; now and then a wait on a third party, on hold), a log-normal
resolution, sometimes a reopen and a second resolution.
"""

from __future__ import annotations

from cxpulse.simulate.base import Timed, Traffic, lognormal, pick

CHANNEL_MIX = {"email": 0.38, "chat": 0.25, "phone": 0.15, "social": 0.10, "web": 0.10,
               "fax": 0.02}
PRIORITY_MIX = {"urgent": 0.05, "high": 0.20, "normal": 0.55, "low": 0.18, "p5": 0.02}
FIRST_REPLY_MEDIAN = {"urgent": 600.0, "high": 1800.0, "normal": 5400.0, "low": 6 * 3600.0}
NEXT_REPLY_MEDIAN = {"urgent": 900.0, "high": 3600.0, "normal": 3 * 3600.0,
                     "low": 8 * 3600.0}
PENDING = 0.6
"""Of the agent's replies that ask the customer something: the ticket waits (pending)."""
ON_HOLD = 0.1
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
        events.append(self.event("ticket.responded", first, {"ticket_id": tid,
                                                             "agent_id": agent}))
        last = first
        for _ in range(rng.choice((0, 0, 1, 2))):
            last = self._exchange(tid, agent, priority, last, events)
        if rng.random() < NEVER_RESOLVED:
            return events
        resolved = last + lognormal(rng, 1800.0)
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

    def _exchange(self, tid: str, agent: str, priority: str, replied: float,
                  events: list[Timed]) -> float:
        """After an agent's reply: maybe pending, the customer's answer, maybe a wait
        on a third party, the agent's next reply. Returns that reply's time."""
        rng = self.rng
        if rng.random() < PENDING:
            events.append(self.event("ticket.status_changed", replied + 30,
                                     {"ticket_id": tid, "status": "pending"}))
        answered = replied + 60 + lognormal(rng, 3600.0)
        events.append(self.event("ticket.customer_replied", answered, {"ticket_id": tid}))
        ready = answered
        if rng.random() < ON_HOLD:
            events.append(self.event("ticket.status_changed", answered + 120,
                                     {"ticket_id": tid, "status": "on_hold"}))
            ready = answered + 180 + lognormal(rng, 2 * 3600.0)
            events.append(self.event("ticket.status_changed", ready,
                                     {"ticket_id": tid, "status": "open"}))
        if rng.random() < 0.5:  # a second message before the agent answers: same run
            events.append(self.event("ticket.customer_replied", answered + 90,
                                     {"ticket_id": tid}))
        reply = ready + 120 + lognormal(rng, NEXT_REPLY_MEDIAN.get(priority, 3 * 3600.0))
        events.append(self.event("ticket.responded", reply, {"ticket_id": tid,
                                                             "agent_id": agent}))
        return reply
