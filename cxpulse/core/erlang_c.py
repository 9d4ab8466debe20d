"""Erlang C staffing arithmetic for ``cx_staffing_required_agents{channel}``.

The metric is a hint: the fewest agents N whose predicted service level (share of
contacts answered within the target, default 80 % within 20 s) meets the goal, for
offered traffic A = contacts queued in the last 1h / 3600 x mean handle time over 1h
(in Erlangs). The exporter leaves it out when there are no handle-time samples.

The model is M/M/N with an infinite queue, so the number is only as good as its
assumptions:

- arrivals are Poisson (independent, at a steady rate over the hour);
- handle times are exponential, with the observed mean;
- no abandons: every contact waits until answered, so real queues with hang-ups
  need somewhat fewer agents than this says;
- no retrials: a contact is offered once;
- the queue is unbounded (no busy signal, no overflow), served first come first
  served by N identical agents.

Everything is computed with the Erlang B recurrence, never with factorials or A**N,
so it stays finite and accurate for N in the thousands. Standard library only.
"""

from __future__ import annotations

import math


def _erlang_b_next(blocking: float, agents: int, traffic: float) -> float:
    """B(N) from B(N-1): the recurrence B(N) = A*B(N-1) / (N + A*B(N-1)).

    Every term stays in [0, 1], which is why it cannot overflow the way the
    textbook A**N / N! form does.
    """
    step = traffic * blocking
    return step / (agents + step)


def _erlang_b(agents: int, traffic: float) -> float:
    """Erlang B blocking probability B(N, A), starting from B(0) = 1."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = _erlang_b_next(blocking, n, traffic)
    return blocking


def _wait_from_b(agents: int, traffic: float, blocking: float) -> float:
    """Erlang C from Erlang B: C = N*B / (N - A*(1 - B)); needs N > A."""
    return agents * blocking / (agents - traffic * (1.0 - blocking))


def _level_from_wait(
    wait: float, agents: int, traffic: float, handle_seconds: float, target_seconds: float
) -> float:
    """Share answered within the target: 1 - C*exp(-(N - A)*target/handle)."""
    return 1.0 - wait * math.exp(-(agents - traffic) * target_seconds / handle_seconds)


def _check_traffic(traffic: float) -> None:
    # NaN would slip through every comparison below and return nonsense.
    if not math.isfinite(traffic) or traffic < 0:
        raise ValueError(f"traffic must be a finite number of Erlangs >= 0, got {traffic!r}")


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact has to wait, P(wait > 0), with N agents and A Erlangs.

    1.0 when N <= A: the queue then grows without bound, so everyone waits.
    """
    _check_traffic(traffic)
    if agents <= traffic:
        return 1.0
    return _wait_from_b(agents, traffic, _erlang_b(agents, traffic))


def service_level(
    agents: int, traffic: float, handle_seconds: float, target_seconds: float
) -> float:
    """Share of contacts answered within ``target_seconds``; 0.0 when N <= A (unstable)."""
    _check_traffic(traffic)
    if not handle_seconds > 0 or not target_seconds >= 0:
        raise ValueError(
            f"need handle_seconds > 0 and target_seconds >= 0, "
            f"got {handle_seconds!r} and {target_seconds!r}"
        )
    if agents <= traffic:
        return 0.0
    wait = erlang_c(agents, traffic)
    return _level_from_wait(wait, agents, traffic, handle_seconds, target_seconds)


def required_agents(
    traffic: float, handle_seconds: float, target_seconds: float, goal: float
) -> int | None:
    """Fewest agents N with ``service_level(N, ...) >= goal``.

    The search starts at the smallest stable N, max(1, floor(A) + 1), and walks up
    while advancing Erlang B one step per N, so A = 5000 costs ~5000 steps in all
    rather than 5000 per candidate.

    Returns 1 when traffic == 0: the model needs N > A, and an hour with handle times
    but no arrival (contacts queued earlier that ended in it) still had work, so one
    agent, not zero (the independent reference reads SPEC the same way). Returns None
    when the hint is meaningless: handle_seconds <= 0, a negative or non-finite
    traffic, a negative target, or a goal that is NaN or above 1 (unreachable, the
    search would never end).
    """
    if not (math.isfinite(traffic) and traffic >= 0):
        return None
    if not (math.isfinite(handle_seconds) and handle_seconds > 0):
        return None
    if not target_seconds >= 0 or not goal <= 1.0:  # also rejects NaN
        return None
    agents = max(1, math.floor(traffic) + 1)
    blocking = _erlang_b(agents, traffic)
    while True:
        # Same helpers, same order of operations as service_level(), so the answer
        # agrees with it exactly: service_level(N) >= goal > service_level(N - 1).
        wait = _wait_from_b(agents, traffic, blocking)
        if _level_from_wait(wait, agents, traffic, handle_seconds, target_seconds) >= goal:
            return agents
        agents += 1
        # Terminates for goal <= 1: B falls faster than geometrically once N > A,
        # so the level reaches 1.0 in floating point.
        blocking = _erlang_b_next(blocking, agents, traffic)
