"""The customers family equals the plain reference on 40 days with every edge case."""

from __future__ import annotations

import pytest

from cxpulse.config import Settings
from tests.reference.customers_plain import expected_customer_metrics
from tests.support import customer_scenario
from tests.support.mixed import MixedPipeline
from tests.support.prom import mismatches, only

SERIES = ("cx_customer", "cx_mrr", "cx_signups", "cx_referr", "cx_viral", "cx_complaint")
SCENARIO = customer_scenario.build()


def _pipeline(timezone: str, batch: int, rebuild_at: int | None = None) -> MixedPipeline:
    pipeline = MixedPipeline(Settings(clock="replay", timezone=timezone, gross_margin=0.8))
    lines = SCENARIO.lines
    cut = len(lines) if rebuild_at is None else rebuild_at
    pipeline.feed(lines[:cut], batch=batch)
    if rebuild_at is not None:
        pipeline.rebuild()
        pipeline.feed(lines[cut:], batch=batch)
    return pipeline


@pytest.mark.parametrize(("timezone", "batch", "rebuild_at"), [
    ("UTC", 1, None), ("Europe/Berlin", 1, None), ("Europe/Berlin", 97, None),
    ("Europe/Berlin", 1, len(SCENARIO.lines) // 2)])
def test_forty_days_of_customers_match_the_reference(timezone: str, batch: int,
                                                     rebuild_at: int | None) -> None:
    pipeline = _pipeline(timezone, batch, rebuild_at)
    expected = expected_customer_metrics(SCENARIO.valid, customer_scenario.END, timezone,
                                         gross_margin=0.8)
    got = only(pipeline.samples(), SERIES)
    problems = mismatches(got, only(expected, SERIES))
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:30])
    # The scenario reaches what it is for: churn, revenue movement, closes, late events.
    assert 0 < got[("cx_customer_churn_ratio", (("window", "30d"),))] < 0.5
    assert got[("cx_mrr_contraction", (("window", "30d"),))] > 0
    assert got[("cx_customer_lifetime_value", ())] > 0
    assert sum(v for (n, _), v in got.items() if n == "cx_complaints_closed") > 0
    assert pipeline.stats.late["cx.customers"] == len(SCENARIO.late)
