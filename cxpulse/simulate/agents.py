"""Agent shifts: log in, wait available, handle contacts (busy, then acw), one break
away, log out. Talk and acw times follow the contacts' simulator part."""

from __future__ import annotations

from cxpulse.simulate.base import Timed, Traffic, lognormal, pick
from cxpulse.simulate.contacts import TALK_MEDIAN

SHIFT_HOURS = (2.0, 8.0)
WAIT_MEDIAN = 50.0
"""Seconds an agent waits available for the next contact."""
CHANNELS = {"phone": 0.6, "chat": 0.4}


class AgentTraffic(Traffic):
    family = "agent"
    source = "simulator/wfm"

    def life(self, start: float) -> list[Timed]:
        rng = self.rng
        agent = f"AG-{self.seed}-{self.next_entity()}"
        channel = pick(rng, CHANNELS)
        end = start + 3600.0 * rng.uniform(*SHIFT_HOURS)
        break_at = start + (end - start) * rng.uniform(0.3, 0.7)

        def state(name: str, t: float) -> Timed:
            return self.event("agent.state_changed", t,
                              {"agent_id": agent, "state": name, "channel": channel})

        events = [state("available", start)]
        t = start
        while True:
            t += lognormal(rng, WAIT_MEDIAN)
            if t >= end:
                break
            if break_at <= t:
                events.append(state("away", t))
                t += rng.uniform(600.0, 1200.0)
                events.append(state("available", t))
                break_at = end
                continue
            events.append(state("busy", t))
            t += lognormal(rng, TALK_MEDIAN[channel])
            events.append(state("acw", t))
            t += lognormal(rng, 30.0)
            events.append(state("available", t))
        events.append(state("offline", end))
        return events
