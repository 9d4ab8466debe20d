"""History records of the format before 2026-12-07 (``{"p", "h", "n", "b"}`` dicts, as an
older worker's changelog gives them back) recover to the same numbers as today's lists."""

from __future__ import annotations

from typing import Any

import orjson

from cxpulse.core.sorted_history import HIST, MARKS, PART, SIZE
from tests.support import mixed_scenario
from tests.support.expected import FAMILY_PREFIXES, expected_metrics
from tests.support.mixed import MixedPipeline
from tests.support.prom import TICKET_FAMILIES, mismatches, only

SERIES = (*TICKET_FAMILIES, *FAMILY_PREFIXES)
HISTORY_TABLES = ("tickets", "sessions", "cx.contacts", "cx.conversions", "cx.surveys",
                  "cx.costs", "customers", "cx.agents")


def old_format(record: list[Any]) -> dict[str, Any]:
    old = {"p": record[PART], "h": record[HIST], "n": record[SIZE]}
    if len(record) > MARKS:
        old["b"] = record[MARKS]
    return old


def histories(pipeline: MixedPipeline) -> dict[str, Any]:
    return orjson.loads(orjson.dumps({t: pipeline.tables[t] for t in HISTORY_TABLES}))


def test_old_records_recover_to_the_same_state_and_numbers() -> None:
    s = mixed_scenario.build()
    half = len(s.lines) // 2
    today, upgraded = MixedPipeline(), MixedPipeline()
    for pipeline in (today, upgraded):
        pipeline.feed(s.lines[:half], batch=50)
    marked = [r for r in upgraded.tables["tickets"].values() if len(r) > MARKS]
    assert marked, "the scenario must count breaches before the restart"
    for name in HISTORY_TABLES:  # as an older version wrote them and a changelog gives them
        table = upgraded.tables[name]
        converted = orjson.loads(orjson.dumps({k: old_format(v) for k, v in table.items()}))
        table.clear()
        table.update(converted)
    assert all(type(r) is dict for r in upgraded.tables["cx.contacts"].values())
    for pipeline in (today, upgraded):
        pipeline.rebuild()
    assert histories(upgraded) == histories(today)
    for pipeline in (today, upgraded):
        pipeline.feed(s.lines[half:], batch=50)
    assert histories(upgraded) == histories(today)
    expected = only(expected_metrics(s, "UTC"), SERIES)
    assert not mismatches(only(upgraded.samples(), SERIES), expected)
    assert not mismatches(only(today.samples(), SERIES), expected)
