"""Window sums with cached hours equal a plain sum over every minute, whatever the
order of writes, reads and drops."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cxpulse.core.rollup import HOUR, BucketSums
from cxpulse.core.sketch import Sketch


class Count:
    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0

    def merge(self, other: Count) -> None:
        self.n += other.n


START = 1_000 * HOUR
write = st.tuples(st.just("write"), st.integers(START, START + 4 * HOUR),
                  st.sampled_from("ab"), st.integers(-3, 5))
read = st.tuples(st.just("read"), st.integers(START, START + 4 * HOUR),
                 st.integers(1, 3 * HOUR), st.just(0))
drop = st.tuples(st.just("drop"), st.integers(START, START + 4 * HOUR), st.just(""), st.just(0))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(write, read, drop), max_size=120))
def test_cached_windows_equal_the_plain_sum_of_minutes(ops: list[tuple[str, int, object, int]],
                                                       ) -> None:
    sums: BucketSums[str, Count] = BucketSums(Count)
    plain: dict[tuple[int, str], int] = {}
    for op, b, arg, n in ops:
        if op == "write":
            assert isinstance(arg, str)
            sums.at(b, arg).n += n
            plain[(b, arg)] = plain.get((b, arg), 0) + n
        elif op == "drop":
            sums.drop_before(b)
            plain = {k: v for k, v in plain.items() if k[0] >= b}
        else:
            assert isinstance(arg, int)
            window = range(b - arg + 1, b + 1)
            expected: dict[str, int] = {}
            for (bucket, labels), v in plain.items():
                if bucket in window:
                    expected[labels] = expected.get(labels, 0) + v
            got = {labels: t.n for labels, t in sums.window(window).items()}
            # Label sets written with a net zero still appear, as with plain dicts.
            assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items()
                                                             if v}
            assert set(got) == set(expected)


def test_a_day_window_reuses_whole_hours_and_sees_a_late_write() -> None:
    sums: BucketSums[str, Sketch] = BucketSums(Sketch)
    for b in range(START, START + 24 * HOUR):
        sums.at(b, "x").add(float(b % 97 + 1))
    day = range(START, START + 24 * HOUR)
    first = sums.window(day)["x"]
    assert first.count == 24 * HOUR
    assert len(sums._hours) == 24
    sums.at(START + 5, "x").add(1000.0)  # a late sample in the first hour
    assert len(sums._hours) == 23
    again = sums.window(day)["x"]
    assert again.count == 24 * HOUR + 1
    assert again.total_us == first.total_us + 1000 * 10**6


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(START, START + 30 * HOUR), st.sampled_from("ab"),
                          st.integers(1, 5)), max_size=80),
       st.integers(START + HOUR, START + 30 * HOUR))
def test_prepared_windows_equal_computed_ones(writes: list[tuple[int, str, int]],
                                              end: int) -> None:
    plain: BucketSums[str, Count] = BucketSums(Count)
    prepared: BucketSums[str, Count] = BucketSums(Count)
    for b, labels, n in writes:
        plain.at(b, labels).n += n
        prepared.at(b, labels).n += n
    windows = [range(end - size + 1, end + 1) for size in (5, 60, 1440)]
    steps = sum(1 for _ in prepared.prepare_steps(windows))
    assert steps >= 3
    for buckets in windows:
        got = {k: v.n for k, v in prepared.window(buckets).items()}
        assert got == {k: v.n for k, v in plain.window(buckets).items()}


def test_a_write_while_a_scrape_prepares_never_leaves_a_stale_hour() -> None:
    sums: BucketSums[str, Count] = BucketSums(Count)
    for b in range(START, START + 3 * HOUR):
        sums.at(b, "a").n += 1
    day = range(START, START + 3 * HOUR)
    for n, _ in enumerate(sums.prepare_steps([day])):
        if n == 2:  # inside the first hour's sum: a late event lands in it
            sums.at(START + 5, "a").n += 100  # a minute already summed
    assert sums.window(day)["a"].n in (3 * HOUR, 3 * HOUR + 100)  # this scrape: either
    assert sums.window(day)["a"].n == 3 * HOUR + 100  # every later one: exact
