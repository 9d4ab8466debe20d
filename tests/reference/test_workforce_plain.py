"""Hand-worked cases for the workforce reference (numbers worked out in the comments)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import pytest

from tests.reference.families_plain import _key
from tests.reference.tickets_naive import parse_time
from tests.reference.workforce_plain import (
    erlang_c,
    expected_workforce_metrics,
    required_agents,
    service_level,
)

NOW = parse_time("2026-11-10T12:00:30Z")
# floor_minute(NOW) = 12:00. Oldest bucket of each window:
#   5m  -> 11:56:00 (buckets 11:56 .. 12:00)
#   1h  -> 11:01:00
#   24h -> 2026-11-09T12:01:00
# Time counted for occupancy runs from that bucket start up to NOW (12:00:30).

_ids = itertools.count()
Ev = dict[str, Any]


def ev(type_: str, time: str, id_: str | None = None, **data: Any) -> Ev:
    return {"specversion": "1.0", "id": id_ or f"e{next(_ids)}", "source": "acd",
            "type": type_, "time": time, "data": data}


def state(agent: str, st: str, time: str, id_: str | None = None) -> Ev:
    return ev("agent.state_changed", time, id_, agent_id=agent, state=st)


def queued(contact: str, customer: str, channel: str, time: str) -> Ev:
    return ev("contact.queued", time, contact_id=contact, customer_id=customer,
              channel=channel)


def answered(contact: str, time: str) -> Ev:
    return ev("contact.answered", time, contact_id=contact, agent_id="A1")


def ended(contact: str, time: str, talk: float, hold: float, acw: float,
          id_: str | None = None) -> Ev:
    return ev("contact.ended", time, id_, contact_id=contact, agent_id="A1",
              talk_seconds=talk, hold_seconds=hold, acw_seconds=acw)


def get(out: dict[Any, float], name: str, **labels: str) -> float | None:
    return out.get(_key(name, **labels))


def occ(out: dict[Any, float], window: str) -> tuple[Any, ...]:
    return (get(out, "cx_agent_busy_seconds", window=window),
            get(out, "cx_agent_staffed_seconds", window=window),
            get(out, "cx_agent_occupancy_ratio", window=window))


def test_first_event_busy_counts_from_that_event_only() -> None:
    # Agent's first event: busy at 11:50:30; available at 11:58:30; nothing before.
    # 5m (from 11:56:00): busy 11:56:00-11:58:30 = 150 s, available 11:58:30-12:00:30
    #   = 120 s -> staffed 270, ratio 150/270.
    # 1h: busy 11:50:30-11:58:30 = 480 s, staffed 480 + 120 = 600, ratio 0.8.
    out = expected_workforce_metrics(
        [state("A", "busy", "2026-11-10T11:50:30Z"),
         state("A", "available", "2026-11-10T11:58:30Z")], NOW)
    assert occ(out, "5m") == (150, 270, pytest.approx(150 / 270))
    assert occ(out, "1h") == (480, 600, pytest.approx(0.8))
    assert occ(out, "24h") == (480, 600, pytest.approx(0.8))
    assert get(out, "cx_agents", state="available") == 1
    assert get(out, "cx_agents", state="busy") == 0
    assert get(out, "cx_agents", state="offline") == 0


def test_out_of_order_state_events() -> None:
    # In time: available 11:40, busy 11:45, acw 11:50, away 11:55 (sent shuffled).
    # 1h: available 300, busy 300, acw 300, away 11:55-12:00:30 = 330 (not staffed).
    #   busy+acw = 600, staffed = 900, ratio 2/3.
    # 5m (from 11:56): only away -> busy 0, staffed 0, no ratio.
    events = [state("B", "away", "2026-11-10T11:55:00Z"),
              state("B", "busy", "2026-11-10T11:45:00Z"),
              state("B", "acw", "2026-11-10T11:50:00Z"),
              state("B", "available", "2026-11-10T11:40:00Z")]
    out = expected_workforce_metrics(events, NOW)
    assert occ(out, "1h") == (600, 900, pytest.approx(2 / 3))
    assert occ(out, "5m") == (0, 0, None)
    assert get(out, "cx_agents", state="away") == 1
    assert sum(get(out, "cx_agents", state=s) or 0
               for s in ("available", "busy", "acw", "offline")) == 0


def test_silent_agent_goes_offline_after_12h() -> None:
    # C: available at 2026-11-09T23:00:30, nothing since (13 h) -> offline at
    #   2026-11-10T11:00:30. 24h: available 23:00:30-11:00:30 = 43200 s staffed.
    # D: available at 2026-11-10T00:00:30, exactly 12 h before NOW -> offline now;
    #   24h: 00:00:30-12:00:30 = 43200 s staffed.
    # E: busy at 00:01:30 (11 h 59 m before NOW) -> still busy now; 24h: 43140 s busy;
    #   1h: 11:01:00-12:00:30 = 3570 s busy.
    # 24h: busy 43140, staffed 43200 + 43200 + 43140 = 129540.
    # 1h: C offline, D available until 12:00:30 (its offline instant is NOW itself):
    #   D 3570 staffed, E 3570 busy -> busy 3570, staffed 7140, ratio 0.5.
    events = [state("C", "available", "2026-11-09T23:00:30Z"),
              state("D", "available", "2026-11-10T00:00:30Z"),
              state("E", "busy", "2026-11-10T00:01:30Z")]
    out = expected_workforce_metrics(events, NOW)
    assert get(out, "cx_agents", state="offline") == 2
    assert get(out, "cx_agents", state="busy") == 1
    assert get(out, "cx_agents", state="available") == 0
    assert occ(out, "24h") == (43140, 129540, pytest.approx(43140 / 129540))
    assert occ(out, "1h") == (3570, 7140, pytest.approx(0.5))


def test_silence_gap_between_events_is_offline() -> None:
    # F: available at 2026-11-09T13:00:00, then busy at 2026-11-10T02:00:00 (13 h later).
    # Offline 2026-11-10T01:00:00-02:00:00; busy 02:00:00-12:00:30 = 36030 s.
    # 24h from 2026-11-09T12:01:00: available 13:00-01:00 = 43200 s.
    # busy 36030, staffed 79230.
    events = [state("F", "available", "2026-11-09T13:00:00Z"),
              state("F", "busy", "2026-11-10T02:00:00Z")]
    out = expected_workforce_metrics(events, NOW)
    assert occ(out, "24h") == (36030, 79230, pytest.approx(36030 / 79230))
    # A shorter offline_after: 1 h of silence -> busy only 02:00-03:00 = 3600 s,
    # available 13:00-14:00 = 3600 s.
    short = expected_workforce_metrics(events, NOW, offline_after=3600)
    assert occ(short, "24h") == (3600, 7200, pytest.approx(0.5))
    assert get(short, "cx_agents", state="offline") == 1


def test_interval_spanning_many_minutes_and_window_edge() -> None:
    # G: busy since 10:30:15, no other event. H: available since 11:30:45.
    # 5m (11:56:00-12:00:30): G 270 busy, H 270 available -> 270 / 540 = 0.5.
    #   (Not 300: the 30 s 11:55:30-11:56:00 belong to bucket 11:55, outside 5m.)
    # 1h (11:01:00-12:00:30): G 3570, H 11:30:45-12:00:30 = 1785 -> 3570/5355 = 2/3.
    # 24h: G 10:30:15-12:00:30 = 5415, H 1785 -> 5415 / 7200.
    events = [state("G", "busy", "2026-11-10T10:30:15Z"),
              state("H", "available", "2026-11-10T11:30:45Z")]
    out = expected_workforce_metrics(events, NOW)
    assert occ(out, "5m") == (270, 540, pytest.approx(0.5))
    assert occ(out, "1h") == (3570, 5355, pytest.approx(2 / 3))
    assert occ(out, "24h") == (5415, 7200, pytest.approx(5415 / 7200))


def test_state_events_after_now_are_ignored() -> None:
    # An event at 12:00:45 (after NOW, in NOW's minute) has not happened yet.
    events = [state("I", "available", "2026-11-10T11:59:00Z"),
              state("I", "busy", "2026-11-10T12:00:45Z")]
    out = expected_workforce_metrics(events, NOW)
    assert get(out, "cx_agents", state="available") == 1
    assert get(out, "cx_agents", state="busy") == 0
    assert occ(out, "5m") == (0, 90, 0.0)  # available 11:59:00-12:00:30


def test_third_answered_contact_within_7_days_is_a_repeat() -> None:
    # Customer K: k1 answered 2026-11-02T12:00 (phone), k2 answered 2026-11-08T10:00
    # (chat), k3 answered 2026-11-10T11:59:00 (phone, in 5m).
    # k3: 7 days back from 11-10T11:59 is 11-03T11:59; k2 lies inside -> repeat.
    # Customer L: l1 answered 11:58:00 (phone) - first contact, not a repeat.
    # Customer M: m0 answered exactly 7 days before m1 (inclusive -> repeat);
    # customer P: p0 answered 7 days + 1 s before p1 -> not a repeat.
    # 5m phone: answered k3, l1 = 2, repeats 1 -> 0.5.
    # 1h phone: + m1 (11:30) + p1 (11:31) = 4 answered, repeats k3, m1 = 2 -> 0.5.
    # 24h chat: nothing (k2 is 2 days old) -> answered 0, no ratio.
    events = [
        queued("k1", "K", "phone", "2026-11-02T11:59:00Z"),
        answered("k1", "2026-11-02T12:00:00Z"),
        queued("k2", "K", "chat", "2026-11-08T09:59:00Z"),
        answered("k2", "2026-11-08T10:00:00Z"),
        queued("k3", "K", "phone", "2026-11-10T11:58:30Z"),
        answered("k3", "2026-11-10T11:59:00Z"),
        queued("l1", "L", "phone", "2026-11-10T11:57:50Z"),
        answered("l1", "2026-11-10T11:58:00Z"),
        queued("m0", "M", "phone", "2026-11-03T11:29:00Z"),
        answered("m0", "2026-11-03T11:30:00Z"),
        queued("m1", "M", "phone", "2026-11-10T11:29:00Z"),
        answered("m1", "2026-11-10T11:30:00Z"),
        queued("p0", "P", "phone", "2026-11-03T11:30:00Z"),
        answered("p0", "2026-11-03T11:30:59Z"),
        queued("p1", "P", "phone", "2026-11-10T11:30:00Z"),
        answered("p1", "2026-11-10T11:31:00Z"),
    ]
    out = expected_workforce_metrics(events, NOW)
    assert get(out, "cx_contacts_answered", window="5m", channel="phone") == 2
    assert get(out, "cx_contacts_repeat", window="5m", channel="phone") == 1
    assert get(out, "cx_contact_repeat_ratio", window="5m", channel="phone") == 0.5
    assert get(out, "cx_contacts_answered", window="1h", channel="phone") == 4
    assert get(out, "cx_contacts_repeat", window="1h", channel="phone") == 2
    assert get(out, "cx_contact_repeat_ratio", window="1h", channel="phone") == 0.5
    assert get(out, "cx_contacts_answered", window="24h", channel="chat") == 0
    assert get(out, "cx_contact_repeat_ratio", window="24h", channel="chat") is None
    # A 1-day repeat window: k3's previous answer (k2) is 2 days old -> no repeat;
    # m1 and p1 neither -> 0 repeats in 1h.
    short = expected_workforce_metrics(events, NOW, repeat_window=86400)
    assert get(short, "cx_contacts_repeat", window="1h", channel="phone") == 0
    assert get(short, "cx_contact_repeat_ratio", window="1h", channel="phone") == 0.0


def test_abandoned_first_is_not_answered() -> None:
    # x1 abandoned at 11:58 then (wrongly) answered at 11:59: its outcome is the abandon.
    events = [queued("x1", "X", "web", "2026-11-10T11:57:00Z"),
              ev("contact.abandoned", "2026-11-10T11:58:00Z", contact_id="x1"),
              answered("x1", "2026-11-10T11:59:00Z")]
    out = expected_workforce_metrics(events, NOW)
    assert get(out, "cx_contacts_answered", window="5m", channel="web") == 0
    assert get(out, "cx_contact_repeat_ratio", window="5m", channel="web") is None


def test_ended_before_its_queued_takes_the_queued_channel() -> None:
    # c1: ended arrives first (and even carries an earlier time than the queued, clock
    # skew); its channel is the queued's: chat. Sample 100 + 20 + 30 = 150 s in the
    # ended's bucket (11:59). c2 has an ended but no queued: counted nowhere.
    # c3 queued with channel "fax" -> other; handle 10 + 0 + 5 = 15 s.
    events = [ended("c1", "2026-11-10T11:59:10Z", 100, 20, 30),
              queued("c1", "Q", "chat", "2026-11-10T11:59:20Z"),
              ended("c2", "2026-11-10T11:59:10Z", 50, 0, 0),
              queued("c3", "R", "fax", "2026-11-10T11:58:00Z"),
              ended("c3", "2026-11-10T11:59:00Z", 10, 0, 5)]
    out = expected_workforce_metrics(events, NOW)
    assert get(out, "cx_contact_handle_seconds_count", window="5m", channel="chat") == 1
    assert get(out, "cx_contact_handle_seconds_sum", window="5m", channel="chat") == 150
    for q in ("0.5", "0.9", "0.99"):
        assert get(out, "cx_contact_handle_seconds", window="5m", channel="chat",
                   quantile=q) == 150
    assert get(out, "cx_contact_handle_seconds_count", window="5m", channel="other") == 1
    assert get(out, "cx_contact_handle_seconds_sum", window="5m", channel="other") == 15
    total = sum(get(out, "cx_contact_handle_seconds_count", window="24h", channel=c) or 0
                for c in ("email", "chat", "phone", "social", "web", "other"))
    assert total == 2  # c2 is not counted


def test_handle_time_sum_count_and_quantiles_per_window() -> None:
    # phone, handle = talk + hold + acw, in the ended's bucket:
    #   p1 ended 11:58:00  200 + 10 + 30   = 240   (5m, 1h, 24h)
    #   p2 ended 11:30:00  100.5 + 0 + 19.5 = 120  (1h, 24h)
    #   p4 ended 11:55:59  60 + 0 + 0      = 60    (bucket 11:55: 1h, 24h, not 5m)
    #   p3 ended 2026-11-09T13:00  300 + 60 + 0 = 360 (24h)
    #   p5 ended 2026-11-09T12:00:59 (bucket 12:00 of the day before: outside 24h)
    # 5m: n 1, sum 240. 1h: n 3, sum 420, sorted [60, 120, 240]: ranks floor(q*2) =
    #   1, 1, 1 -> 120 each. 24h: n 4, sum 780, sorted [60, 120, 240, 360]: ranks
    #   floor(1.5)=1 -> 120, floor(2.7)=2 -> 240, floor(2.97)=2 -> 240.
    events = []
    for cid, end, parts in [("p1", "2026-11-10T11:58:00Z", (200, 10, 30)),
                            ("p2", "2026-11-10T11:30:00Z", (100.5, 0, 19.5)),
                            ("p4", "2026-11-10T11:55:59Z", (60, 0, 0)),
                            ("p3", "2026-11-09T13:00:00Z", (300, 60, 0)),
                            ("p5", "2026-11-09T12:00:59Z", (1, 1, 1))]:
        events.append(queued(cid, "cust-" + cid, "phone", "2026-11-09T12:00:00Z"))
        events.append(ended(cid, end, *parts))
    out = expected_workforce_metrics(events, NOW)

    def summary(window: str) -> tuple[float | None, ...]:
        labels = {"window": window, "channel": "phone"}
        return (get(out, "cx_contact_handle_seconds_count", **labels),
                get(out, "cx_contact_handle_seconds_sum", **labels),
                *(get(out, "cx_contact_handle_seconds", quantile=q, **labels)
                  for q in ("0.5", "0.9", "0.99")))

    assert summary("5m") == (1, 240, 240, 240, 240)
    assert summary("1h") == (3, 420, 120, 120, 120)
    assert summary("24h") == (4, 780, 120, 240, 240)
    # Empty series: count and sum are 0, quantiles absent.
    assert get(out, "cx_contact_handle_seconds_count", window="5m", channel="email") == 0
    assert get(out, "cx_contact_handle_seconds_sum", window="5m", channel="email") == 0
    assert get(out, "cx_contact_handle_seconds", window="5m", channel="email",
               quantile="0.5") is None


def test_duplicates_count_once_first_wins() -> None:
    # d1's ended delivered twice (same id) -> one sample of 90 s.
    # Agent J: id "s1" busy at 11:50; a second event with the same id "s1" says
    # available at 11:55 and is dropped -> busy 11:50-12:00:30 the whole time.
    # 1h: busy 630 = staffed -> ratio 1.0.
    events = [queued("d1", "D", "email", "2026-11-10T11:57:00Z"),
              ended("d1", "2026-11-10T11:59:00Z", 60, 0, 30, id_="end-d1"),
              ended("d1", "2026-11-10T11:59:00Z", 60, 0, 30, id_="end-d1"),
              state("J", "busy", "2026-11-10T11:50:00Z", id_="s1"),
              state("J", "available", "2026-11-10T11:55:00Z", id_="s1"),
              state("J", "busy", "2026-11-10T11:50:00Z", id_="s1")]
    out = expected_workforce_metrics(events, NOW)
    assert get(out, "cx_contact_handle_seconds_count", window="5m", channel="email") == 1
    assert get(out, "cx_contact_handle_seconds_sum", window="5m", channel="email") == 90
    assert occ(out, "1h") == (630, 630, 1.0)
    assert get(out, "cx_agents", state="busy") == 1


def test_erlang_c_published_example() -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
    # (callcentrehelper.com): 100 calls in 30 minutes, AHT 180 s, target 80 % answered
    # in 20 s. Traffic A = 100 / 1800 * 180 = 10 Erlangs. With N = 11 the article
    # quotes P(wait) = 0.6821 (68.21 %) and a service level of 39 %
    # (1 - 0.6821 * e^(-1 * 20/180) = 1 - 0.6821 * 0.8948 = 0.3897); it needs 14
    # agents for 80 %. Recomputed here: SL(11) = 0.3896, SL(12) = 0.6402,
    # SL(13) = 0.7956 (< 0.8), SL(14) = 0.8884 -> 14.
    assert round(erlang_c(11, 10.0), 4) == 0.6821
    assert round(math.exp(-20 / 180), 4) == 0.8948
    assert round(service_level(11, 10.0, 180, 20) * 100) == 39
    assert round(service_level(13, 10.0, 180, 20), 4) == 0.7956
    assert round(service_level(14, 10.0, 180, 20), 4) == 0.8884
    assert required_agents(10.0, 180, 0.8, 20) == 14


def _erlang_c_exact(n: int, a: Fraction) -> Fraction:
    # C(N, A) = (A^N/N! * N/(N-A)) / (sum_{k<N} A^k/k! + A^N/N! * N/(N-A))
    top = a ** n / math.factorial(n) * n / (n - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize("a", [Fraction(1, 2), Fraction(2), Fraction(7, 2), Fraction(7),
                               Fraction(23, 3)])
def test_erlang_c_matches_textbook_formula(a: Fraction) -> None:
    for n in range(math.floor(a) + 1, 16):
        assert erlang_c(n, float(a)) == pytest.approx(float(_erlang_c_exact(n, a)),
                                                      rel=1e-12)


def test_erlang_c_small_by_hand() -> None:
    # N = 1, A = 1/2 (M/M/1): C = rho = 0.5. N = 2, A = 1: A^2/2! * 2/(2-1) = 1;
    # sum_{k<2} = 1 + 1 = 2 -> C = 1/3.
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)


def test_no_overflow_for_500_erlangs() -> None:
    # The textbook form needs 500^510 / 510! (far past float range); the recursion
    # stays in [0, 1]. Check one value against exact integers, then the staffing search.
    assert erlang_c(510, 500.0) == pytest.approx(float(_erlang_c_exact(510, Fraction(500))),
                                                 rel=1e-9)
    n = required_agents(500.0, 180.0, 0.8, 20.0)
    assert 500 < n < 560
    assert service_level(n, 500.0, 180.0, 20.0) >= 0.8
    assert service_level(n - 1, 500.0, 180.0, 20.0) < 0.8
    assert 0.0 < erlang_c(n, 500.0) < 1.0


def test_staffing_from_events_matches_the_worked_example() -> None:
    # phone: 200 contacts queued in the 1h window -> 200/3600 per s; handle samples in
    # 1h: 120 and 240 -> AHT 180. A = 200/3600 * 180 = 10 Erlangs -> 14 agents (above).
    # chat: contacts queued, no handle sample -> absent.
    # email: one contact queued 2 h ago, ended in 1h (handle 100): A = 0 -> 1 agent.
    events = [queued(f"q{i}", f"u{i}", "phone", "2026-11-10T11:10:00Z")
              for i in range(200)]
    events += [ended("q0", "2026-11-10T11:40:00Z", 100, 0, 20),
               ended("q1", "2026-11-10T11:50:00Z", 200, 10, 30),
               queued("h1", "H", "chat", "2026-11-10T11:20:00Z"),
               queued("e1", "E", "email", "2026-11-10T10:00:00Z"),
               ended("e1", "2026-11-10T11:45:00Z", 100, 0, 0)]
    out = expected_workforce_metrics(events, NOW)
    assert get(out, "cx_staffing_required_agents", channel="phone") == 14
    assert get(out, "cx_staffing_required_agents", channel="chat") is None
    assert get(out, "cx_staffing_required_agents", channel="email") == 1
    # A looser target: 13 agents reach 0.7956 >= 0.75.
    loose = expected_workforce_metrics(events, NOW, service_level_target=0.75)
    assert get(loose, "cx_staffing_required_agents", channel="phone") == 13


def test_empty_input_exports_zero_counts_and_no_ratios() -> None:
    out = expected_workforce_metrics([], NOW)
    assert all(get(out, "cx_agents", state=s) == 0
               for s in ("available", "busy", "acw", "away", "offline"))
    assert occ(out, "24h") == (0, 0, None)
    assert not any(k[0] in ("cx_contact_repeat_ratio", "cx_staffing_required_agents",
                            "cx_agent_occupancy_ratio", "cx_contact_handle_seconds")
                   for k in out)
