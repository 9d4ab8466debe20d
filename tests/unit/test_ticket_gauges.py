"""The incremental instant gauges against a naive walk over every ticket, written from
SPEC §2 (cx_tickets_open, cx_tickets_in_breach, cx_oldest_unanswered_ticket_age_seconds).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cxpulse.core.ticket_gauges import GaugeIndex, SortedKeys, TicketGauges
from cxpulse.core.tickets import (
    OPENED,
    REOPENED,
    RESOLVED,
    RESPONDED,
    SlaTargets,
    TicketIndex,
    add_to_history,
    view_of,
)

# Small targets so that random times hit deadlines, and exactly.
TARGETS = SlaTargets(first_response={"urgent": 5.0, "high": 10.0, "normal": 20.0, "low": 40.0},
                     resolution={"urgent": 15.0, "high": 30.0, "normal": 60.0, "low": 90.0})
CHANNELS = ("email", "chat", "other")
PRIORITIES = ("urgent", "high", "low", "other")


def naive_gauges(histories: dict[str, list[list[Any]]], now: float,
                 targets: SlaTargets = TARGETS) -> TicketGauges:
    """SPEC §2, ticket by ticket: backlog now is "opened and not resolved (a reopen puts
    it back)"; in breach is "unresolved past that deadline now (first_response: still
    without a first response)", from the moment now passes the deadline; the oldest
    unanswered is now - opened of the oldest open ticket without a first response."""
    gauges = TicketGauges(Counter(), Counter(), {})
    for history in histories.values():
        openings = [e for e in history if e[1] == OPENED]
        if not openings:
            continue
        opened, channel, priority = openings[0][0], openings[0][3], openings[0][4]
        if opened > now:
            continue  # not opened yet
        resolved = False
        for e in history:  # the history is in the contract's order
            if e[0] <= now and e[1] == RESOLVED:
                resolved = True
            elif e[0] <= now and e[1] == REOPENED:
                resolved = False
        if resolved:
            continue
        labels = (channel, priority)
        gauges.open[labels] += 1
        target = priority if priority in targets.first_response else "normal"
        responses = [e[0] for e in history if e[1] == RESPONDED]
        answered = bool(responses) and min(responses) <= now
        if not answered:
            age = now - opened
            gauges.oldest_unanswered_age[labels] = max(
                age, gauges.oldest_unanswered_age.get(labels, age))
            if now > opened + targets.first_response[target]:
                gauges.in_breach[("first_response", *labels)] += 1
        if now > opened + targets.resolution[target]:
            gauges.in_breach[("resolution", *labels)] += 1
    return gauges


def same(got: TicketGauges, want: TicketGauges) -> bool:
    return (+got.open == +want.open and +got.in_breach == +want.in_breach
            and got.oldest_unanswered_age == want.oldest_unanswered_age)


# ---------------------------------------------------------------- random lives

times = st.one_of(st.integers(0, 150).map(float),
                  st.floats(0, 150, allow_nan=False).map(lambda t: round(t, 3)))


@st.composite
def ticket_events(draw: st.DrawFn) -> list[list[Any]]:
    """History entries of a few tickets (as :func:`history_entry` makes them), with an
    extra field: the ticket id."""
    events: list[list[Any]] = []
    for i in range(draw(st.integers(1, 6))):
        tid = f"T{i}"
        for j in range(draw(st.sampled_from([0, 1, 1, 1, 2]))):  # none, one, a duplicate
            events.append([tid, draw(times), OPENED, f"{tid}o{j}",
                           draw(st.sampled_from(CHANNELS)), draw(st.sampled_from(PRIORITIES))])
        for j in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from([RESPONDED, RESOLVED, REOPENED, RESOLVED, REOPENED]))
            events.append([tid, draw(times), kind, f"{tid}e{j}"])
    return events


move = st.one_of(
    st.tuples(st.just("deliver"), st.integers(1, 3)),
    st.tuples(st.just("by"), st.sampled_from([0.0, 0.5, 1.0, 3.0, 7.0, 20.0])),
    st.tuples(st.just("to"), st.integers(0, 10**6)),  # exactly onto an instant
    st.tuples(st.just("just_after"), st.integers(0, 10**6)),
    st.tuples(st.just("touch_at"), st.integers(0, 10**6)),  # onto an instant, then views again
    st.tuples(st.just("remove"), st.integers(0, 5)),
    st.tuples(st.just("rebuild"), st.booleans()),
)


def instants(events: list[list[Any]]) -> list[float]:
    """Every event time and every deadline any opening could have."""
    out = {e[1] for e in events}
    for e in events:
        if e[2] == OPENED:
            out.update(TARGETS.deadlines(e[1], e[5]))
    return sorted(out)


@settings(max_examples=600, deadline=None)
@given(ticket_events(), st.randoms(use_true_random=False), st.lists(move, max_size=60),
       st.floats(-5, 60))
def test_incremental_gauges_equal_the_naive_walk(events: list[list[Any]], rng: random.Random,
                                                moves: list[tuple[str, Any]],
                                                start: float) -> None:
    rng.shuffle(events)  # out of order
    queue = list(events)
    points = instants(events)
    histories: dict[str, list[list[Any]]] = {}
    index = TicketIndex(TARGETS)
    index.advance(start)
    # The GaugeIndex alone too: inside TicketIndex, its own deadline timer re-gives the
    # views at every deadline, which would hide a deadline the GaugeIndex forgot.
    alone = GaugeIndex(TARGETS.deadlines)
    alone.advance(start)

    def give(tid: str, history: list[list[Any]]) -> None:
        view = view_of(history)
        index.update(tid, view)
        if view is None:
            alone.remove(tid)
        else:
            alone.update(tid, view)

    def advance(now: float) -> None:
        index.advance(now)
        alone.advance(now)

    def deliver() -> None:
        tid, *entry = queue.pop(0)
        history = histories.setdefault(tid, [])
        if add_to_history(history, entry):
            give(tid, history)

    def check() -> None:
        assert index.now is not None
        assert alone.now == index.now
        snap = index.snapshot()
        assert snap is not None
        want = naive_gauges(histories, index.now)
        assert same(snap.gauges, want), (index.now, snap.gauges, want, histories)
        assert same(alone.read(), want), (index.now, alone.read(), want, histories)

    for kind, arg in [*moves, *[("deliver", 1)] * len(queue), ("by", 200.0)]:
        now = index.now
        assert now is not None
        if kind == "deliver":
            for _ in range(min(arg, len(queue))):
                deliver()
        elif kind == "by":
            advance(now + arg)
        elif kind in ("to", "just_after", "touch_at"):
            later = [t for t in points if t > now]
            if later:
                t = later[arg % len(later)]
                advance(math.nextafter(t, math.inf) if kind == "just_after" else t)
            if kind == "touch_at":  # the same views again, as the index's own timer does
                for tid, history in histories.items():
                    give(tid, history)
        elif kind == "remove":
            tid = f"T{arg}"
            histories.pop(tid, None)
            index.remove(tid)
            alone.remove(tid)
        else:  # a restarted worker: views given after "now" (or before any "now")
            index.clear()
            alone = GaugeIndex(TARGETS.deadlines)
            if arg:
                advance(now)
            for tid, history in histories.items():
                give(tid, history)
            advance(now)
        check()


def test_the_boundaries_are_those_of_the_contract() -> None:
    """Opened, resolved, reopened, answered: count from that instant; deadlines: only
    once now is past them."""
    index = TicketIndex(TARGETS)
    history: list[list[Any]] = []
    add_to_history(history, [10.0, OPENED, "o", "chat", "urgent"])  # fr 15, res 25
    index.advance(9.0)
    index.update("T", view_of(history))
    labels = ("chat", "urgent")

    def at(now: float) -> TicketGauges:
        index.advance(now)
        snap = index.snapshot()
        assert snap is not None
        assert same(snap.gauges, naive_gauges({"T": history}, now))
        return snap.gauges

    assert not at(9.5).open
    assert at(10.0).open[labels] == 1
    assert at(10.0).oldest_unanswered_age == {labels: 0.0}
    assert at(15.0).in_breach[("first_response", *labels)] == 0
    assert at(math.nextafter(15.0, math.inf)).in_breach[("first_response", *labels)] == 1
    add_to_history(history, [20.0, RESPONDED, "r"])
    index.update("T", view_of(history))
    assert at(19.0).oldest_unanswered_age == {labels: 9.0}
    assert at(20.0).oldest_unanswered_age == {}
    assert at(20.0).in_breach[("first_response", *labels)] == 0
    add_to_history(history, [30.0, RESOLVED, "s"])
    add_to_history(history, [40.0, REOPENED, "O"])
    index.update("T", view_of(history))
    assert at(25.0).in_breach[("resolution", *labels)] == 0
    assert at(25.5).in_breach[("resolution", *labels)] == 1
    assert not at(30.0).open
    assert at(40.0).in_breach[("resolution", *labels)] == 1
    assert at(60.0).in_breach[("resolution", *labels)] == 1
    add_to_history(history, [50.0, RESOLVED, "s2"])
    index.update("T", view_of(history))  # a resolution in the past, arriving late
    assert not at(60.5).open
    assert not index._gauges._tickets  # resolved for good: nothing kept for it


def test_sorted_keys_keep_the_minimum_through_splits_and_merges() -> None:
    class Small(SortedKeys):
        LOAD = 4

    rng = random.Random(3)
    keys = Small()
    model: set[tuple[float, str]] = set()
    for step in range(5000):
        if model and rng.random() < 0.45:
            key = rng.choice(sorted(model))
            keys.remove(key)
            model.discard(key)
        else:
            key = (float(rng.randint(0, 300)), f"T{rng.randint(0, 50)}")
            if key in model:
                continue
            keys.add(key)
            model.add(key)
        assert bool(keys) == bool(model)
        assert len(keys) == len(model), step
        if model:
            assert keys.first() == min(model)
    assert all(len(sub) <= 2 * Small.LOAD for sub in keys._lists)
    flat = [k for sub in keys._lists for k in sub]
    assert flat == sorted(model)
    assert keys._maxes == [sub[-1] for sub in keys._lists]


def test_a_read_does_not_depend_on_the_number_of_tickets() -> None:
    """The read walks label sets only: many tickets, no change of instant, one read."""
    index = GaugeIndex(TARGETS.deadlines)
    index.advance(0.0)
    history: list[list[Any]] = [[0.0, OPENED, "o", "email", "low"]]
    view = view_of(history)
    assert view is not None
    for i in range(2000):
        index.update(f"T{i}", view)
    gauges = index.read()
    assert gauges.open == Counter({("email", "low"): 2000})
    assert gauges.oldest_unanswered_age == {("email", "low"): 0.0}
    index.advance(41.0)
    assert index.read().in_breach == Counter({("first_response", "email", "low"): 2000})
    assert index.read().oldest_unanswered_age == {("email", "low"): 41.0}


def test_a_view_given_exactly_at_a_deadline_breaches_just_after_it() -> None:
    """now == deadline is not in breach yet; the next instant is."""
    for sla, deadline in (("first_response", 15.0), ("resolution", 25.0)):
        index = GaugeIndex(TARGETS.deadlines)
        history: list[list[Any]] = [[10.0, OPENED, "o", "chat", "urgent"]]
        if sla == "resolution":
            history.append([12.0, RESPONDED, "r"])
        view = view_of(history)
        assert view is not None
        index.advance(deadline)
        index.update("T", view)
        for now in (deadline, math.nextafter(deadline, math.inf), deadline + 1):
            index.advance(now)
            assert index.read().in_breach[(sla, "chat", "urgent")] == (now > deadline), now


def test_an_answer_after_the_deadline_ends_the_breach_only_when_it_comes() -> None:
    index = GaugeIndex(TARGETS.deadlines)
    view = view_of([[10.0, OPENED, "o", "chat", "urgent"], [15.5, RESPONDED, "r"]])
    assert view is not None
    index.advance(14.0)
    index.update("T", view)
    for now, breached in ((15.0, 0), (15.25, 1), (15.5, 0)):
        index.advance(now)
        assert index.read().in_breach[("first_response", "chat", "urgent")] == breached, now
