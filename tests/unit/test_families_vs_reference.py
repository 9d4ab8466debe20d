"""Every family's exported series equal the plain reference on the mixed scenario."""

from __future__ import annotations

import pytest

from cxpulse.config import Settings
from tests.support import mixed_scenario
from tests.support.expected import FAMILY_PREFIXES, expected_metrics
from tests.support.mixed import MixedPipeline
from tests.support.prom import TICKET_FAMILIES, mismatches, only

SERIES = (*TICKET_FAMILIES, *FAMILY_PREFIXES)


SCENARIO = mixed_scenario.build()


# In Phoenix (UTC-7) local midnight (07:00 UTC) falls inside the scenario (06:33-09:33 UTC).
# batch=1: every entity refreshed after each event; 137: once per batch, as the agents do.
@pytest.mark.parametrize(("timezone", "batch"), [("UTC", 1), ("America/Phoenix", 1),
                                                 ("UTC", 137)])
def test_the_mixed_scenario_matches_the_references(timezone: str, batch: int) -> None:
    s = SCENARIO
    pipeline = MixedPipeline(Settings(clock="replay", timezone=timezone))
    pipeline.feed(s.lines, batch=batch)
    expected = expected_metrics(s, timezone)
    if timezone != "UTC":
        day, trailing = (expected[("cx_active_users", (("window", w),))] for w in ("1d", "24h"))
        assert 0 < day < trailing
    problems = mismatches(only(pipeline.samples(), SERIES), only(expected, SERIES))
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])
