"""The customers family equals the plain reference on 40 days with every edge case."""

from __future__ import annotations

import orjson
import pytest

from cxpulse.config import Settings
from tests.reference.customers_plain import expected_customer_metrics
from tests.support import customer_scenario
from tests.support.mixed import MixedPipeline
from tests.support.prom import mismatches, only
from tests.support.scenario import ev

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


def test_one_customer_with_ten_thousand_events_at_the_mrr_bound_is_capped_and_exact() -> None:
    t0 = customer_scenario.END - 86400
    kinds = ("subscription.started", "subscription.changed", "subscription.cancelled")
    events = [ev(f"h{n}", kinds[n % 3], t0 + n, subscription_id=f"S{n // 3}",
                 customer_id="HOT", **({} if n % 3 == 2 else {"mrr": 1e9}))
              for n in range(10_000)]
    pipeline = MixedPipeline(Settings(clock="replay"))
    reasons = pipeline.feed([orjson.dumps(e) for e in events], batch=500)
    kept = Settings().entity_max_events
    assert reasons == ["entity_too_large"] * (10_000 - kept)
    expected = expected_customer_metrics(events[:kept], t0 + 10_000)
    got = only(pipeline.samples(), ("cx_mrr", "cx_customers_active"))
    assert not mismatches(got, only(expected, ("cx_mrr", "cx_customers_active")))
    assert got[("cx_mrr", ())] == 1e9  # one running subscription at the schema's bound
