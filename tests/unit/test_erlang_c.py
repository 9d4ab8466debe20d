"""Erlang C: published worked examples, exact brute force, large N, edge cases."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest

from cxpulse.core.erlang_c import erlang_c, required_agents, service_level


def textbook_wait(agents: int, traffic: Fraction) -> Fraction:
    """The textbook formula, exactly: (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + same)."""
    top = traffic**agents / math.factorial(agents) * Fraction(agents) / (agents - traffic)
    below = sum((traffic**k / math.factorial(k) for k in range(agents)), Fraction(0))
    return top / (below + top)


# --- Published worked examples ----------------------------------------------------

# Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
# (callcentrehelper.com): 100 calls per 30 minutes, AHT 180 s, so 200 calls/hour x
# 3 min = 10 Erlangs; goal 80 % answered within 20 s. It starts at N = A + 1 = 11,
# gets P(wait) = 0.6821 (68.21 %), and steps up until 14 agents meet the goal.
# The service levels are pinned to what the formula gives (1 - C*exp(-(N-A)*20/180)):
# 11 agents -> 0.3896, 13 -> 0.7956 (short of 80 %), 14 -> 0.8884.
CCH_TRAFFIC = 100 / (30 * 60) * 180  # contacts per second x handle seconds


def test_call_centre_helper_traffic_is_ten_erlangs() -> None:
    assert math.isclose(CCH_TRAFFIC, 10.0)


def test_call_centre_helper_probability_of_waiting_at_11_agents() -> None:
    assert erlang_c(11, CCH_TRAFFIC) == pytest.approx(0.6821, abs=5e-5)


def test_call_centre_helper_service_levels() -> None:
    assert service_level(11, CCH_TRAFFIC, 180, 20) == pytest.approx(0.3896, abs=5e-5)
    assert service_level(12, CCH_TRAFFIC, 180, 20) == pytest.approx(0.6402, abs=5e-5)
    assert service_level(13, CCH_TRAFFIC, 180, 20) == pytest.approx(0.7956, abs=5e-5)
    assert service_level(14, CCH_TRAFFIC, 180, 20) == pytest.approx(0.8884, abs=5e-5)


def test_call_centre_helper_needs_14_agents() -> None:
    assert required_agents(CCH_TRAFFIC, 180, 20, 0.8) == 14


# The step-by-step "Erlang-C formula" page (Mitan Ltd, mitan.co.uk), whose numbers
# are reproduced by the Maxima "erlang" package write-up: 360 calls per half hour
# (0.2 calls/s), 4-minute calls (240 s), 55 agents, target 15 s. A = 48 Erlangs,
# E_C = 0.2387, average speed of answer 8.184 s, P(wait <= 15 s) = 0.8459.
MITAN_TRAFFIC = 360 / (30 * 60) * 240


def test_mitan_example() -> None:
    assert math.isclose(MITAN_TRAFFIC, 48.0)
    wait = erlang_c(55, MITAN_TRAFFIC)
    assert wait == pytest.approx(0.2387, abs=5e-5)
    assert wait * 240 / (55 - MITAN_TRAFFIC) == pytest.approx(8.184, abs=5e-4)  # ASA, s
    assert service_level(55, MITAN_TRAFFIC, 240, 15) == pytest.approx(0.8459, abs=5e-5)


def test_mitan_55_agents_is_the_fewest_for_its_own_service_level() -> None:
    assert required_agents(MITAN_TRAFFIC, 240, 15, 0.84) == 55
    assert service_level(54, MITAN_TRAFFIC, 240, 15) < 0.84


# --- Exact brute force for small N ------------------------------------------------

# Floats that are exact in binary, so Fraction(traffic) is the very number erlang_c sees.
SMALL_TRAFFIC = (0.25, 0.5, 1.0, 2.5, 3.0, 7.125, 9.75, 12.0, 19.5, 28.875)


@pytest.mark.parametrize("traffic", SMALL_TRAFFIC)
def test_erlang_c_matches_exact_textbook_formula(traffic: float) -> None:
    exact_traffic = Fraction(traffic)
    for agents in range(1, 31):
        got = erlang_c(agents, traffic)
        if agents <= traffic:
            assert got == 1.0
            continue
        want = float(textbook_wait(agents, exact_traffic))
        assert got == pytest.approx(want, abs=1e-12)
        assert math.isclose(got, want, rel_tol=1e-12), (agents, traffic, got, want)


@pytest.mark.parametrize("traffic", SMALL_TRAFFIC)
def test_service_level_matches_exact_textbook_formula(traffic: float) -> None:
    for agents in range(math.floor(traffic) + 1, 31):
        wait = float(textbook_wait(agents, Fraction(traffic)))
        want = 1 - wait * math.exp(-(agents - traffic) * 20 / 240)
        assert service_level(agents, traffic, 240, 20) == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize("traffic", SMALL_TRAFFIC)
def test_required_agents_matches_brute_force_search(traffic: float) -> None:
    def level(agents: int) -> float:
        wait = float(textbook_wait(agents, Fraction(traffic)))
        return 1 - wait * math.exp(-(agents - traffic) * 20 / 300)

    agents = math.floor(traffic) + 1
    while level(agents) < 0.8:
        agents += 1
    assert required_agents(traffic, 300, 20, 0.8) == agents


# --- Large N ------------------------------------------------------------------------


def exact_wait_integer_traffic(agents: int, traffic: int) -> Fraction:
    """The textbook formula times N!, in integers: sum A^k N!/k! + A^N N/(N-A)."""
    terms = 0
    product = 1  # N!/k!, built from k = N down to 0
    for k in range(agents, -1, -1):
        if k < agents:
            terms += traffic**k * product
        product *= k if k else 1
    top = Fraction(traffic**agents * agents, agents - traffic)
    return top / (terms + top)


def test_large_traffic_staffing() -> None:
    traffic = 2000.0
    agents = required_agents(traffic, 300, 20, 0.8)
    assert agents is not None
    assert traffic < agents <= traffic + 100  # pooling: a few percent above A
    assert service_level(agents, traffic, 300, 20) >= 0.8
    assert service_level(agents - 1, traffic, 300, 20) < 0.8
    wait = erlang_c(agents, traffic)
    assert math.isfinite(wait)
    assert 0.0 < wait < 1.0
    exact = float(exact_wait_integer_traffic(agents, 2000))
    assert math.isclose(wait, exact, rel_tol=1e-10), (wait, exact)


def test_largest_supported_traffic_is_finite_and_quick() -> None:
    agents = required_agents(5000.0, 240, 20, 0.8)
    assert agents is not None
    assert 5000 < agents <= 5100
    assert service_level(agents, 5000.0, 240, 20) >= 0.8 > service_level(
        agents - 1, 5000.0, 240, 20
    )
    assert 0.0 < erlang_c(agents, 5000.0) < 1.0


def test_a_goal_of_one_still_terminates() -> None:
    agents = required_agents(2000.0, 300, 20, 1.0)
    assert agents is not None
    assert service_level(agents, 2000.0, 300, 20) == 1.0


# --- Edge cases ---------------------------------------------------------------------


@pytest.mark.parametrize(("agents", "traffic"), [(0, 0.0), (0, 3.0), (10, 10.0), (5, 7.5)])
def test_no_spare_capacity_means_everyone_waits(agents: int, traffic: float) -> None:
    assert erlang_c(agents, traffic) == 1.0
    assert service_level(agents, traffic, 180, 20) == 0.0


def test_just_above_traffic_is_stable_but_nearly_everyone_waits() -> None:
    assert 0.99 < erlang_c(10, 9.999) < 1.0


def test_no_traffic() -> None:
    assert erlang_c(1, 0.0) == 0.0
    assert service_level(1, 0.0, 180, 20) == 1.0
    assert required_agents(0.0, 180, 20, 0.8) == 1  # the fewest N > A


@pytest.mark.parametrize(
    ("traffic", "handle", "target", "goal"),
    [
        (10.0, 0.0, 20, 0.8),  # no handle time: no meaningful traffic
        (10.0, -5.0, 20, 0.8),
        (10.0, math.nan, 20, 0.8),
        (-1.0, 180, 20, 0.8),
        (math.nan, 180, 20, 0.8),
        (math.inf, 180, 20, 0.8),
        (10.0, 180, -1, 0.8),
        (10.0, 180, 20, 1.01),  # unreachable goal
        (10.0, 180, 20, math.nan),
    ],
)
def test_meaningless_inputs_give_no_hint(
    traffic: float, handle: float, target: float, goal: float
) -> None:
    assert required_agents(traffic, handle, target, goal) is None


def test_a_goal_of_zero_needs_only_a_stable_queue() -> None:
    assert required_agents(10.0, 180, 20, 0.0) == 11
    assert required_agents(0.4, 180, 20, 0.0) == 1


@pytest.mark.parametrize("traffic", [-1.0, math.nan, math.inf])
def test_invalid_traffic_is_an_error(traffic: float) -> None:
    with pytest.raises(ValueError):
        erlang_c(5, traffic)
    with pytest.raises(ValueError):
        service_level(5, traffic, 180, 20)


def test_service_level_rejects_a_zero_handle_time() -> None:
    with pytest.raises(ValueError):
        service_level(11, 10.0, 0.0, 20)


@pytest.mark.parametrize("traffic", [0.5, 10.0, 48.0, 333.3])
def test_more_agents_means_less_waiting(traffic: float) -> None:
    start = math.floor(traffic) + 1
    waits = [erlang_c(n, traffic) for n in range(start, start + 60)]
    levels = [service_level(n, traffic, 180, 20) for n in range(start, start + 60)]
    assert all(a >= b for a, b in itertools.pairwise(waits))
    assert all(a <= b for a, b in itertools.pairwise(levels))
    assert waits[0] > waits[-1]


def test_a_longer_target_gives_a_higher_service_level() -> None:
    levels = [service_level(12, 10.0, 180, t) for t in (0, 10, 20, 60, 600)]
    assert levels == sorted(levels)
    assert levels[0] == pytest.approx(1 - erlang_c(12, 10.0))
