"""The quantile sketch stays within the contract's 1 % of the exact nearest-rank value."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from cxpulse.core.sketch import Sketch

QS = (0.5, 0.9, 0.99)
durations = st.floats(min_value=0.0, max_value=30 * 86400.0, allow_nan=False)


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[math.floor(q * (len(ordered) - 1))]


@settings(max_examples=300, deadline=None)
@given(st.lists(durations, min_size=1, max_size=300))
def test_quantiles_within_one_percent(values: list[float]) -> None:
    sketch = Sketch()
    for v in values:
        sketch.add(v)
    for q, got in zip(QS, sketch.quantiles(QS), strict=True):
        want = exact(values, q)
        assert abs(got - want) <= 0.01 * want + 1e-6, (q, got, want)
    assert sketch.count == len(values)


@settings(max_examples=200, deadline=None)
@given(st.lists(durations, min_size=2, max_size=200), st.data())
def test_removing_samples_is_exact(values: list[float], data: st.DataObject) -> None:
    """Adding then removing in any order leaves exactly the remaining samples."""
    keep = data.draw(st.integers(1, len(values) - 1))
    sketch = Sketch()
    for v in values:
        sketch.add(v)
    for v in data.draw(st.permutations(values[keep:])):
        sketch.add(v, -1)
    direct = Sketch()
    for v in values[:keep]:
        direct.add(v)
    assert sketch.buckets == direct.buckets
    assert (sketch.count, sketch.total_us) == (direct.count, direct.total_us)


def test_merge_equals_adding_everything() -> None:
    a, b, both = Sketch(), Sketch(), Sketch()
    for i in range(100):
        (a if i % 3 else b).add(i * 1.7)
        both.add(i * 1.7)
    a.merge(b)
    assert a.buckets == both.buckets and a.count == both.count and a.total_us == both.total_us
    assert a.quantiles(QS) == both.quantiles(QS)
