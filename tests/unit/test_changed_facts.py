"""Applying only the changed part of an entity's facts gives the sums the whole does."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from cxpulse.core.facts import Fact, FactIndex, changed_parts

FACT = st.tuples(st.integers(0, 5), st.sampled_from([("a",), ("b",)]), st.integers(0, 2),
                 st.integers(1, 3))


def _sums(index: FactIndex) -> Counter[tuple[int, tuple[str, ...], str]]:
    out: Counter[tuple[int, tuple[str, ...], str]] = Counter()
    for b, per_labels in index.sums.buckets.items():
        for labels, totals in per_labels.items():
            for i, n in enumerate(totals.sums):
                out[(b, labels, f"sum{i}")] += n
            for sketch in totals.sketches:
                out[(b, labels, "count")] += sketch.count
                out[(b, labels, "total")] += sketch.total_us
                for key, n in sketch.buckets.items():
                    out[(b, labels, f"bucket{key}")] += n
    return +out


@given(st.lists(FACT, max_size=12), st.lists(FACT, max_size=12), st.lists(FACT, max_size=6),
       st.lists(FACT, max_size=6))
def test_changed_parts_give_the_sums_of_the_whole(middle_old: list[Fact], middle_new: list[Fact],
                                                  head: list[Fact], tail: list[Fact]) -> None:
    old, new = head + middle_old + tail, head + middle_new + tail
    whole, part = FactIndex(2, 1), FactIndex(2, 1)
    for index in (whole, part):
        index.apply(old, 1)
    whole.apply(old, -1)
    whole.apply(new, 1)
    gone, added = changed_parts(old, new)
    part.apply(gone, -1)
    part.apply(added, 1)
    assert _sums(part) == _sums(whole)
    assert len(gone) <= len(middle_old) and len(added) <= len(middle_new)


def test_a_fact_added_at_the_end_is_the_only_change() -> None:
    day = [(b, ("a",), 0, 60) for b in range(480)]
    gone, added = changed_parts(day, [*day, (480, ("a",), 0, 12)])
    assert list(gone) == [] and list(added) == [(480, ("a",), 0, 12)]


@given(st.integers(0, 300), st.integers(0, 300), st.lists(FACT, max_size=5),
       st.lists(FACT, max_size=5))
def test_long_common_runs_are_found_across_compare_steps(
        n_head: int, n_tail: int, middle_old: list[Fact], middle_new: list[Fact]) -> None:
    # Runs longer than one slice comparison (COMPARE_STEP): equal but not identical
    # facts at the ends, and the middles as small as the search allows.
    head = [(b, ("h",), 0, b) for b in range(n_head)]
    tail = [(b, ("t",), 1, b) for b in range(n_tail)]
    old = head + middle_old + tail
    new = [(*f,) for f in head] + middle_new + [(*f,) for f in tail]
    gone, added = changed_parts(old, new)
    n = min(len(old), len(new))
    same_head = next((i for i in range(n) if old[i] != new[i]), n)
    same_tail = next((i for i in range(n - same_head) if old[-1 - i] != new[-1 - i]),
                     n - same_head)
    assert list(gone) == old[same_head:len(old) - same_tail]
    assert list(added) == new[same_head:len(new) - same_tail]
