"""An agent's facts computed from the last ones equal the facts computed afresh,
whatever happens to its history between two calls (appends, entries inserted
before the end, removed, replaced by equal copies, a new list for the same agent)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cxpulse.core.agents import STATES, AgentArithmetic

OFFLINE_AFTER = 3600.0

ENTRY = st.builds(lambda t, state, n: [1_795_000_000.0 + t, "s", f"e{n}", state],
                  st.floats(0, 3 * 86400, allow_nan=False), st.sampled_from(STATES),
                  st.integers(0, 10**6))
STEP = st.one_of(
    st.tuples(st.just("add"), ENTRY),
    st.tuples(st.just("remove"), st.integers(0, 10**6)),
    st.tuples(st.just("copy"), st.integers(0, 10**6)),
    st.tuples(st.just("new list"), st.none()),
)


@given(st.lists(ENTRY, max_size=30), st.lists(STEP, max_size=25))
def test_memoized_facts_equal_fresh_facts(start: list[list[Any]],
                                          steps: list[tuple[str, Any]]) -> None:
    memoized = AgentArithmetic(OFFLINE_AFTER)
    history = sorted(start, key=lambda e: (e[0], e[2]))
    for op, arg in steps:
        if op == "add":
            history.append(arg)
            history.sort(key=lambda e: (e[0], e[2]))
        elif op == "remove" and history:
            del history[arg % len(history)]
        elif op == "copy" and history:
            i = arg % len(history)
            history[i] = list(history[i])  # equal content, another object
        elif op == "new list":
            history = [list(e) for e in history]
        got = memoized.facts(history)
        memoized.track("A", history)
        assert got == AgentArithmetic(OFFLINE_AFTER).facts([list(e) for e in history])


def test_a_history_let_go_leaves_no_memo_behind() -> None:
    arithmetic = AgentArithmetic(OFFLINE_AFTER)
    first = [[1_795_000_000.0, "s", "a", "busy"], [1_795_000_600.0, "s", "b", "acw"]]
    arithmetic.facts(first)
    arithmetic.track("A", first)
    again = [list(e) for e in first]
    arithmetic.facts(again)
    arithmetic.track("A", again)  # a new list for the same agent replaces the old memo
    assert len(arithmetic._memo) == 1
    arithmetic.track("A", None)
    assert not arithmetic._memo
