"""The incremental instant gauges against a naive walk over every ticket, written from
SPEC §2 (cx_tickets_open, cx_tickets_in_breach, cx_oldest_unanswered_ticket_age_seconds,
cx_tickets_paused, cx_sla_at_risk_tickets, cx_sla_next_breach_seconds).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpulse.core import ticket_gauges
from cxpulse.core.business_hours import deadline as business_deadline
from cxpulse.core.ticket_gauges import GaugeIndex, SortedFloats, TicketGauges
from cxpulse.core.tickets import (
    CUSTOMER_REPLY,
    OPENED,
    REOPENED,
    RESOLVED,
    RESPONDED,
    STATUS,
    SlaTargets,
    TicketIndex,
    add_to_history,
    view_of,
)

# Small targets so that random times hit deadlines, and exactly.
TARGETS = SlaTargets(first_response={"urgent": 5.0, "high": 10.0, "normal": 20.0, "low": 40.0},
                     resolution={"urgent": 15.0, "high": 30.0, "normal": 60.0, "low": 90.0},
                     next_reply={"urgent": 4.0, "high": 8.0, "normal": 12.0, "low": 30.0})
CHANNELS = ("email", "chat", "other")
PRIORITIES = ("urgent", "high", "low", "other")


def naive_gauges(histories: dict[str, list[list[Any]]], now: float,
                 targets: SlaTargets = TARGETS) -> TicketGauges:
    """SPEC §2, ticket by ticket: backlog now is "opened and not resolved (a reopen puts
    it back)"; in breach is "unresolved past that deadline now (first_response: still
    without a first response)", from the moment now passes the deadline; the oldest
    unanswered is now - opened of the oldest open ticket without a first response."""
    gauges = TicketGauges(Counter(), Counter(), {})
    running: dict[tuple[str, str, str], list[float]] = {}
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
            running.setdefault(("first_response", *labels), []).append(
                opened + targets.first_response[target])
        # Paused: the last of status / customer reply / reopen (in the contract's order)
        # is a status of the pause set; the pauses of the whole history give deadlines.
        pauses, since = [], None
        for e in history:
            stops = e[1] == STATUS and e[3] in targets.pause_statuses
            resumes = e[1] in (CUSTOMER_REPLY, REOPENED) or (e[1] == STATUS and not stops)
            if stops and since is None:
                since = e[0]
            elif resumes and since is not None:
                pauses.append((since, e[0]))
                since = None
        if since is not None:
            pauses.append((since, math.inf))
        paused = any(a <= now < b for a, b in pauses)
        if paused:
            gauges.paused[labels] += 1
        res_deadline = business_deadline(None, opened, targets.resolution[target], pauses)
        if now > res_deadline:
            gauges.in_breach[("resolution", *labels)] += 1
        if not paused and res_deadline < math.inf:
            running.setdefault(("resolution", *labels), []).append(res_deadline)
        # Next reply: the open run at now (replies after a response, up to the next
        # response or resolution), from events <= now; its deadline from the whole history.
        start, responded, state_open = None, False, True
        for e in history:
            if e[0] > now:
                break
            if e[1] == RESPONDED:
                responded, start = True, None
            elif e[1] == RESOLVED:
                start = None if state_open else start
                state_open = False
            elif e[1] == REOPENED:
                state_open = True
            elif e[1] == CUSTOMER_REPLY and responded and start is None:
                start = e[0]
        if start is not None:
            due = business_deadline(None, start, targets.next_reply[target], pauses)
            if now > due:
                gauges.in_breach[("next_reply", *labels)] += 1
            if not paused and due < math.inf:
                running.setdefault(("next_reply", *labels), []).append(due)
    for key, dues in running.items():
        ahead = [d - now for d in dues if d >= now]
        if ahead:
            gauges.next_breach[key] = min(ahead)
        for within, seconds in ticket_gauges.WITHIN:
            n = sum(1 for d in ahead if d <= seconds)
            if n:
                gauges.at_risk[(*key, within)] = n
    return gauges


def same(got: TicketGauges, want: TicketGauges) -> bool:
    return (+got.open == +want.open and +got.in_breach == +want.in_breach
            and got.oldest_unanswered_age == want.oldest_unanswered_age
            and +got.paused == +want.paused and +got.at_risk == +want.at_risk
            and got.next_breach == want.next_breach)


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
        for j in range(draw(st.integers(0, 9))):
            kind = draw(st.sampled_from([RESPONDED, RESOLVED, REOPENED, RESOLVED, REOPENED,
                                         STATUS, STATUS, CUSTOMER_REPLY, CUSTOMER_REPLY]))
            status = st.sampled_from(["open", "pending", "on_hold"])
            extra = [draw(status)] if kind == STATUS else []
            events.append([tid, draw(times), kind, f"{tid}e{j}", *extra])
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
    """Every event time, every deadline the whole histories give, and the instants
    where a deadline comes within each at-risk horizon."""
    out = {e[1] for e in events}
    whole: dict[str, list[list[Any]]] = {}
    for tid, *entry in events:
        add_to_history(whole.setdefault(tid, []), entry)
    for e in events:
        if e[2] == OPENED:
            out.update(TARGETS.deadlines(e[1], e[5]))
    for history in whole.values():
        view = view_of(history, TARGETS)
        if view is None:
            continue
        dues = [view.fr_deadline, view.res_deadline, *(run[3] for run in view.runs)]
        for due in dues:
            if due < math.inf:
                out.add(due)
                out.update(due - seconds for _, seconds in SMALL_WITHIN)
    return sorted(out)


SMALL_WITHIN = (("15m", 3.0), ("1h", 10.0), ("4h", 25.0))
"""At-risk horizons shrunk to this test's seconds, so that deadlines cross them."""


@settings(max_examples=600, deadline=None)
@given(ticket_events(), st.randoms(use_true_random=False), st.lists(move, max_size=60),
       st.floats(-5, 60))
def test_incremental_gauges_equal_the_naive_walk(events: list[list[Any]], rng: random.Random,
                                                moves: list[tuple[str, Any]],
                                                start: float) -> None:
    with patch.object(ticket_gauges, "WITHIN", SMALL_WITHIN):
        lives(events, rng, moves, start)


def lives(events: list[list[Any]], rng: random.Random, moves: list[tuple[str, Any]],
          start: float) -> None:
    rng.shuffle(events)  # out of order
    queue = list(events)
    points = instants(events)
    histories: dict[str, list[list[Any]]] = {}
    index = TicketIndex(TARGETS)
    index.advance(start)
    # The GaugeIndex alone too: inside TicketIndex, its own deadline timer re-gives the
    # views at every deadline, which would hide a deadline the GaugeIndex forgot.
    alone = GaugeIndex()
    alone.advance(start)

    def give(tid: str, history: list[list[Any]]) -> None:
        view = view_of(history, TARGETS)
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
            alone = GaugeIndex()
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
    index.update("T", view_of(history, TARGETS))
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
    index.update("T", view_of(history, TARGETS))
    assert at(19.0).oldest_unanswered_age == {labels: 9.0}
    assert at(20.0).oldest_unanswered_age == {}
    assert at(20.0).in_breach[("first_response", *labels)] == 0
    add_to_history(history, [30.0, RESOLVED, "s"])
    add_to_history(history, [40.0, REOPENED, "O"])
    index.update("T", view_of(history, TARGETS))
    assert at(25.0).in_breach[("resolution", *labels)] == 0
    assert at(25.5).in_breach[("resolution", *labels)] == 1
    assert not at(30.0).open
    assert at(40.0).in_breach[("resolution", *labels)] == 1
    assert at(60.0).in_breach[("resolution", *labels)] == 1
    add_to_history(history, [50.0, RESOLVED, "s2"])
    index.update("T", view_of(history, TARGETS))  # a resolution in the past, arriving late
    assert not at(60.5).open
    assert not index._gauges._tickets  # resolved for good: nothing kept for it


def test_sorted_floats_keep_counts_and_minimum_through_splits_and_merges() -> None:
    """A multiset: equal deadlines of different tickets are separate entries."""
    class Small(SortedFloats):
        LOAD = 4

    rng = random.Random(3)
    keys = Small()
    model: list[float] = []
    for step in range(5000):
        if model and rng.random() < 0.45:
            key = rng.choice(model)
            keys.remove(key)
            model.remove(key)
        else:
            key = float(rng.randint(0, 60))  # many duplicates
            keys.add(key)
            model.append(key)
        assert bool(keys) == bool(model)
        assert len(keys) == len(model), step
        if model:
            assert keys.first() == min(model)
            x = float(rng.randint(0, 61))
            assert keys.rank(x) == sum(k < x for k in model)
            assert keys.first_from(x) == min((k for k in model if k >= x), default=None)
    assert all(len(sub) <= 2 * Small.LOAD for sub in keys._lists)
    flat = [k for sub in keys._lists for k in sub]
    assert flat == sorted(model)
    assert keys._maxes == [sub[-1] for sub in keys._lists]
    with pytest.raises(KeyError):
        keys.remove(61.0)


def test_a_read_does_not_depend_on_the_number_of_tickets() -> None:
    """The read walks label sets only: many tickets, no change of instant, one read."""
    index = GaugeIndex()
    index.advance(0.0)
    history: list[list[Any]] = [[0.0, OPENED, "o", "email", "low"]]
    view = view_of(history, TARGETS)
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
        index = GaugeIndex()
        history: list[list[Any]] = [[10.0, OPENED, "o", "chat", "urgent"]]
        if sla == "resolution":
            history.append([12.0, RESPONDED, "r"])
        view = view_of(history, TARGETS)
        assert view is not None
        index.advance(deadline)
        index.update("T", view)
        for now in (deadline, math.nextafter(deadline, math.inf), deadline + 1):
            index.advance(now)
            assert index.read().in_breach[(sla, "chat", "urgent")] == (now > deadline), now


def test_an_answer_after_the_deadline_ends_the_breach_only_when_it_comes() -> None:
    index = GaugeIndex()
    view = view_of([[10.0, OPENED, "o", "chat", "urgent"], [15.5, RESPONDED, "r"]], TARGETS)
    assert view is not None
    index.advance(14.0)
    index.update("T", view)
    for now, breached in ((15.0, 0), (15.25, 1), (15.5, 0)):
        index.advance(now)
        assert index.read().in_breach[("first_response", "chat", "urgent")] == breached, now
