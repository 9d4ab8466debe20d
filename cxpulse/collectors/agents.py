"""cx.agents: agents by state now, and occupancy from its two time components."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import Metric

from cxpulse.collectors.common import FamilyCollector, Windows, add_ratio, field_sum, gauge
from cxpulse.core import agents as a
from cxpulse.core.agent_family import AgentFamily
from cxpulse.core.facts import MICRO
from cxpulse.core.windows import WINDOWS
from cxpulse.metrics_text import Samples, SummaryRow, count_text, ratio_text, total


class AgentCollector(FamilyCollector[AgentFamily]):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_agents", "cx_agent_busy_seconds", "cx_agent_staffed_seconds",
        "cx_agent_occupancy_ratio")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        staffed = sum(total(s, "cx_agents", state=state) for state in a.STAFFED)
        return [("agents logged in now", count_text(staffed)),
                ("occupancy (1h)", ratio_text(total(s, "cx_agent_busy_seconds", window="1h"),
                                              total(s, "cx_agent_staffed_seconds", window="1h"),
                                              100.0, " %"))]

    def series(self, windows: Windows, now: float) -> Iterator[Metric]:
        tail = self.family.arithmetic.open_time(now, WINDOWS)
        agents = gauge("cx_agents", "Agents whose latest state at or before now is the "
                       "state (offline after 12 h without an event)", ["state"])
        for state in a.STATES:
            agents.add_metric([state], tail.states[state])
        busy = gauge("cx_agent_busy_seconds", "Seconds agents spent busy or in acw in "
                     "the window (occupancy's numerator; sums over workers)", ["window"])
        staffed = gauge("cx_agent_staffed_seconds", "Seconds agents spent available, busy "
                        "or in acw in the window (occupancy's denominator)", ["window"])
        occupancy = gauge("cx_agent_occupancy_ratio", "busy / staffed seconds in the window, "
                          "time-weighted; an open state runs to now", ["window"])
        for window in WINDOWS:
            occupied = (field_sum(windows, window, a.N_OCCUPIED) + tail.occupied[window]) / MICRO
            present = (field_sum(windows, window, a.N_STAFFED) + tail.staffed[window]) / MICRO
            busy.add_metric([window], occupied)
            staffed.add_metric([window], present)
            add_ratio(occupancy, [window], occupied, present)
        yield from (agents, busy, staffed, occupancy)
