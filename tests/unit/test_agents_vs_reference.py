"""Agent states and occupancy equal the plain reference where they are hardest: an
agent with 10^4 state changes over three weeks, silences, a rebuild in the middle."""

from __future__ import annotations

import random

import orjson
import pytest

from cxpulse.config import Settings
from cxpulse.core.agent_family import KEEP_SECONDS
from cxpulse.core.agents import N_OCCUPIED, N_STAFFED, AgentArithmetic
from cxpulse.core.facts import MICRO, FactIndex, Totals
from cxpulse.core.windows import WINDOWS, window_buckets
from tests.reference.workforce_plain import STATES, expected_workforce_metrics
from tests.support.mixed import MixedPipeline
from tests.support.prom import mismatches, only
from tests.support.scenario import END, ev

SERIES = ("cx_agent",)


def shifts(seed: int) -> list[dict]:
    """Agent H: 10^4 state changes, 3 weeks, 3 min apart on average (one 13 h silence);
    a few others with their own rhythm, some events arriving out of order."""
    rng = random.Random(seed)
    events = []
    t = END - 21 * 86400
    for n in range(10_000):
        t += rng.expovariate(1 / 180.0)
        if n == 9_000:
            t += 13 * 3600  # silent long enough to count as offline in between
        events.append(ev(f"h{n}", "agent.state_changed", min(t, END), agent_id="H",
                         state=rng.choice(STATES)))
    for agent in range(8):
        t = END - 23 * 3600
        while t < END:
            t += rng.expovariate(1 / 600.0)
            events.append(ev(f"o{agent}-{t}", "agent.state_changed", min(t, END),
                             agent_id=f"O{agent}", state=rng.choice(STATES)))
    return events


@pytest.mark.parametrize(("batch", "rebuild"), [(1, False), (250, False), (250, True)])
def test_a_hot_agent_over_three_weeks_matches_the_reference(batch: int, rebuild: bool) -> None:
    events = sorted(shifts(7), key=lambda e: e["time"])
    shuffle = random.Random(3)
    arrival = []
    for n in range(0, len(events), 20):  # each run of 20 arrives in any order
        run = events[n:n + 20]
        shuffle.shuffle(run)
        arrival += run
    lines = [orjson.dumps(e) for e in arrival]
    pipeline = MixedPipeline(Settings(clock="replay"))
    cut = len(lines) // 2 if rebuild else len(lines)
    rejected = pipeline.feed(lines[:cut], batch=batch)
    if rebuild:
        pipeline.rebuild()
    rejected += pipeline.feed(lines[cut:], batch=batch)
    now = pipeline.agents.now()
    assert rejected == [] and now == END
    problems = mismatches(only(pipeline.samples(), SERIES),
                          only(expected_workforce_metrics(events, now), SERIES))
    assert not problems, "\n".join(problems[:20])
    record = pipeline.tables["cx.agents"]["H"]
    _, history, size = record
    span = float(history[-1][0]) - float(history[1][0])
    assert span <= KEEP_SECONDS and len(history) < 2000  # bounded, under the cap
    assert size == sum(len(orjson.dumps(e)) + 1 for e in history)


def test_entries_later_than_now_are_not_in_effect_yet() -> None:
    """A partition ahead of the family's "now" (the slowest partition's): its agents'
    later entries count from when now reaches them, even inside now's own minute."""
    now = END  # 20 s past a minute: now's minute runs to END + 40
    changes = [("F", -600, "available"), ("F", 10, "busy"), ("F", 30, "acw"),
               ("F", 70, "available"), ("G", 5, "busy"), ("G", 25, "acw"),
               ("K", -7200, "busy"), ("K", -60, "away"), ("K", 15, "available")]
    events = [ev(f"{agent}{n}", "agent.state_changed", now + dt, agent_id=agent, state=state)
              for n, (agent, dt, state) in enumerate(changes)]
    arithmetic = AgentArithmetic(12 * 3600)
    index = FactIndex(arithmetic.n_sums)
    for agent in "FGK":
        history = sorted(([now + dt, "s", f"{a}{n}", state]
                          for n, (a, dt, state) in enumerate(changes) if a == agent),
                         key=lambda e: (e[0], e[2]))
        index.apply(arithmetic.facts(history), 1)
        arithmetic.track(agent, history)
    tail = arithmetic.open_time(now, WINDOWS)
    expected = expected_workforce_metrics(events, now)
    for window, size in WINDOWS.items():
        totals = index.window(window_buckets(now, size)).get((), Totals(2, 0))
        busy = (totals.sums[N_OCCUPIED] + tail.occupied[window]) / MICRO
        staffed = (totals.sums[N_STAFFED] + tail.staffed[window]) / MICRO
        assert busy == pytest.approx(
            expected[("cx_agent_busy_seconds", (("window", window),))], abs=1e-6)
        assert staffed == pytest.approx(
            expected[("cx_agent_staffed_seconds", (("window", window),))], abs=1e-6)
    assert tail.states == {state: expected[("cx_agents", (("state", state),))]
                           for state in STATES}
    assert tail.states["available"] == 1 and tail.states["away"] == 1  # F now; K now
