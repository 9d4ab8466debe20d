"""Realistic ticket traffic for demos, tests and benchmarks (pure: no Kafka here).

A ticket's life: opened (channel and priority from a mix that includes a few
values outside the contract's lists, exported as ``other``), maybe a bot
auto-reply and private notes, a first public agent reply after a log-normal
delay whose median depends on priority (some tickets are never answered), maybe
more replies, a log-normal resolution, sometimes a reopen and a second resolution.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

CHANNEL_MIX = {"email": 0.38, "chat": 0.25, "phone": 0.15, "social": 0.10, "web": 0.10,
               "fax": 0.02}
PRIORITY_MIX = {"urgent": 0.05, "high": 0.20, "normal": 0.55, "low": 0.18, "p5": 0.02}
FIRST_REPLY_MEDIAN = {"urgent": 600.0, "high": 1800.0, "normal": 5400.0, "low": 6 * 3600.0}
NEVER_ANSWERED = 0.06
NEVER_RESOLVED = 0.10
REOPEN = 0.08

Timed = tuple[float, dict[str, Any]]
"""An event with its event time, so nobody parses back what was just formatted."""


def rfc3339(t: float) -> str:
    """Unix seconds -> RFC 3339 UTC with milliseconds."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _pick(rng: random.Random, mix: dict[str, float]) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def _lognormal(rng: random.Random, median: float, sigma: float = 0.9) -> float:
    return rng.lognormvariate(math.log(median), sigma)


class TicketTraffic:
    """Generates whole ticket lives; ids are deterministic for a seed."""

    def __init__(self, seed: int = 1, tickets_per_hour: float = 600.0) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.rate = tickets_per_hour / 3600.0
        self._tickets = 0
        self._events = 0

    def _event(self, event_type: str, t: float, data: dict[str, Any]) -> Timed:
        self._events += 1
        return t, {"specversion": "1.0", "id": f"sim-{self.seed}-{self._events}",
                   "source": "simulator/helpdesk", "type": event_type, "time": rfc3339(t),
                   "data": data}

    def life(self, opened: float) -> list[Timed]:
        """Every event of one new ticket with its event time (not sorted)."""
        rng = self.rng
        self._tickets += 1
        tid = f"T-{self.seed}-{self._tickets}"
        priority = _pick(rng, PRIORITY_MIX)
        events = [self._event("ticket.opened", opened, {
            "ticket_id": tid, "customer_id": f"C-{rng.randrange(50_000)}",
            "channel": _pick(rng, CHANNEL_MIX), "priority": priority})]
        agent = f"A-{rng.randrange(40)}"
        if rng.random() < 0.3:
            events.append(self._event("ticket.responded", opened + 5, {
                "ticket_id": tid, "agent_id": "bot", "by": "bot"}))
        if rng.random() < NEVER_ANSWERED:
            return events
        first = opened + _lognormal(rng, FIRST_REPLY_MEDIAN.get(priority, 5400.0))
        if rng.random() < 0.2:
            events.append(self._event("ticket.responded", first - 60, {
                "ticket_id": tid, "agent_id": agent, "public": False}))
        replies = [first]
        for _ in range(rng.choice((0, 0, 1, 2))):
            replies.append(replies[-1] + _lognormal(rng, 3600.0))
        events += [self._event("ticket.responded", t, {"ticket_id": tid, "agent_id": agent})
                   for t in replies]
        if rng.random() < NEVER_RESOLVED:
            return events
        resolved = replies[-1] + _lognormal(rng, 1800.0)
        events.append(self._event("ticket.resolved", resolved,
                                  {"ticket_id": tid, "agent_id": agent}))
        if rng.random() < REOPEN:
            reopened = resolved + _lognormal(rng, 7200.0)
            events.append(self._event("ticket.reopened", reopened, {"ticket_id": tid}))
            again = reopened + _lognormal(rng, 1200.0)
            events.append(self._event("ticket.responded", again, {
                "ticket_id": tid, "agent_id": agent}))
            events.append(self._event("ticket.resolved", again + _lognormal(rng, 900.0), {
                "ticket_id": tid, "agent_id": agent}))
        return events

    def arrivals(self, start: float, end: float) -> Iterator[float]:
        """Opening times of a Poisson process on [start, end)."""
        t = start
        while True:
            t += self.rng.expovariate(self.rate)
            if t >= end:
                return
            yield t

    def history(self, start: float, end: float) -> list[dict[str, Any]]:
        """Every event with time in [start, end) of tickets opened then, time-sorted."""
        timed = [(t, n, event) for n, (t, event) in enumerate(
            te for opened in self.arrivals(start, end) for te in self.life(opened)) if t < end]
        return [event for _, _, event in sorted(timed)]
