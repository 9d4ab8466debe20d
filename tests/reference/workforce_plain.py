"""A plain reference for the contact-center workforce family.

Written from SPEC.md §1 (``contact.queued/answered/abandoned/ended`` on ``cx.contacts``,
``agent.state_changed`` on ``cx.agents``) and §2 ("Contact-center workforce" and the
general rules on windows, buckets, labels and "now") only, for the tests: no buckets
kept, no sketches, no incremental state. For every window and label set it loops over
the events and tests the conditions directly; quantiles sort and index (rank
floor(q * (n - 1)), as the other references do). The caller passes the valid,
non-late events; duplicates by ``id`` are dropped here (first in list order wins).

Series exported (key shape ``(name, tuple(sorted(labels)))`` as in families_plain):

- ``cx_contact_handle_seconds{window,channel}``: summary; ``_count`` and ``_sum``
  always (0 without samples), quantiles ``0.5``/``0.9``/``0.99`` only with samples.
- ``cx_contacts_answered{window,channel}`` and ``cx_contacts_repeat{window,channel}``:
  always (the components of the repeat ratio; they add up over workers), and
  ``cx_contact_repeat_ratio{window,channel}`` = repeat ÷ answered, only when answered > 0.
- ``cx_agents{state}`` for each of ``available, busy, acw, away, offline``, always.
- ``cx_agent_busy_seconds{window}`` (busy + acw seconds) and
  ``cx_agent_staffed_seconds{window}`` (available + busy + acw seconds), always, and
  ``cx_agent_occupancy_ratio{window}`` = busy ÷ staffed, only when staffed > 0.
- ``cx_staffing_required_agents{channel}``: only for a channel with at least one
  handle-time sample in the ``1h`` window.

Windows are ``5m``, ``1h``, ``24h`` (SPEC's ``1d`` is for distinct users only).
Channels are the six SPEC channels; a value outside the list is ``other``.

Readings of SPEC made here (match these in the implementation, or change both):

- Window membership is by 1-minute bucket of event time: bucket b is in a window of S
  minutes when floor_minute(now) - S < b <= floor_minute(now) (so an event later than
  now but in now's minute still counts in windowed contact series, as in
  families_plain).
- Contacts: the earliest ``contact.queued`` (by time, then id) of a contact_id fixes
  its channel and customer. A contact without any ``queued`` is not counted anywhere
  (its ``answered``/``ended`` wait for the queued, whatever the arrival order or
  event-time order of the two).
- A contact is answered when its earliest outcome among ``answered``/``abandoned``
  (by time; on a tie the answer wins; then id) is an ``answered``; its answer time is
  that event's time. ``contact.ended`` is not an outcome.
- Handle time: one sample per contact, from its earliest ``contact.ended`` (by time,
  then id): talk_seconds + hold_seconds + acw_seconds, in the bucket of that ended
  event; sums are exact (decimal strings summed as fractions).
- Repeat: an answered contact with answer time t is a repeat when another answered
  contact of the same customer (any channel) has answer time a with
  t - repeat_window <= a < t (inclusive at exactly 7 days; an answer at the same
  instant is not "before").
- Agents: only ``agent.state_changed`` events with time <= now and a state among the
  five count; an agent's events are ordered by (time, id). Before an agent's first
  event the agent is nowhere (no time is counted). Each event starts an interval in
  its state that runs to the next event of that agent, or to now for the last one —
  but after offline_after seconds without any event (any state, the same state again
  included) the agent is offline until its next event: the state holds on
  [t, t + offline_after) and offline from t + offline_after on (inclusive: exactly
  12 h of silence is offline).
- ``cx_agents``: the state at now by that rule; agents with no event at or before now
  are not counted; offline agents are counted as ``offline`` however long ago.
- Occupancy: the time of each interval is split over the minutes it covers and the
  minutes in the window count, i.e. each interval is clipped to
  [start of the window's oldest bucket, now]. ``channel`` of agent events is ignored
  (SPEC gives these series no channel label).
- Staffing: A = (contacts of the channel whose queued lies in the ``1h`` window) ÷ 3600
  * (mean handle time of the channel's ``1h`` handle samples). N is the fewest integer
  N > A (so N >= 1 even when A = 0) with 1 - C(N, A)·exp(-(N - A)·t / AHT) >= target;
  with AHT = 0 (and so A = 0) the service level is taken as 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from tests.reference.families_plain import CHANNELS, QUANTILES, SampleKey, _channel, _key
from tests.reference.tickets_naive import parse_time

Ev = dict[str, Any]

WINDOWS = {"5m": 5, "1h": 60, "24h": 1440}
STATES = ("available", "busy", "acw", "away", "offline")
STAFFED = ("available", "busy", "acw")
OCCUPIED = ("busy", "acw")


# --- Erlang C -------------------------------------------------------------------------

def erlang_b(n: int, a: float) -> float:
    """Erlang B by the recursion B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1))."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(n: int, a: float) -> float:
    """Probability that a contact waits, for n agents and a Erlangs (1.0 when n <= a)."""
    if n <= a:
        return 1.0
    b = erlang_b(n, a)
    return n * b / (n - a * (1 - b))


def service_level(n: int, a: float, aht: float, t: float) -> float:
    """Share answered within t seconds: 1 - C(n, a)·exp(-(n - a)·t / aht)."""
    if n <= a:
        return 0.0
    if a <= 0 or aht <= 0:
        return 1.0
    return 1.0 - erlang_c(n, a) * math.exp(-(n - a) * t / aht)


def required_agents(a: float, aht: float, target: float, t: float) -> int:
    """The fewest n > a whose service level within t seconds is at least target."""
    n = math.floor(a) + 1
    while service_level(n, a, aht, t) < target:
        n += 1
    return n


# --- helpers --------------------------------------------------------------------------

def _t(event: Ev) -> Fraction:
    return Fraction(parse_time(event["time"]))


def _minute(t: Fraction) -> int:
    return math.floor(t / 60)


def _in_window(t: Fraction, now: Fraction, minutes: int) -> bool:
    return _minute(now) - minutes < _minute(t) <= _minute(now)


def _window_start(now: Fraction, minutes: int) -> Fraction:
    """Start of the oldest bucket of the window."""
    return Fraction((_minute(now) - minutes + 1) * 60)


def _first(events: Iterable[Ev]) -> Ev | None:
    return min(events, key=lambda e: (_t(e), e["id"]), default=None)


def _num(value: object) -> Fraction:
    return Fraction(str(value))


def _summary(out: dict[SampleKey, float], name: str, samples: list[Fraction],
             **labels: str) -> None:
    out[_key(name + "_count", **labels)] = len(samples)
    out[_key(name + "_sum", **labels)] = float(sum(samples, Fraction(0)))
    ordered = sorted(samples)
    if ordered:
        for q in QUANTILES:
            out[_key(name, quantile=q, **labels)] = float(
                ordered[math.floor(Fraction(q) * (len(ordered) - 1))])


def _dedupe(events: Iterable[Ev]) -> list[Ev]:
    seen: set[str] = set()
    kept = []
    for e in events:
        if e["id"] in seen:
            continue
        seen.add(e["id"])
        kept.append(e)
    return kept


# --- contacts -------------------------------------------------------------------------

class _Contact:
    def __init__(self, channel: str, customer: str, queued: Fraction,
                 answered: Fraction | None, ended: Fraction | None,
                 handle: Fraction | None) -> None:
        self.channel = channel
        self.customer = customer
        self.queued = queued
        self.answered = answered
        self.ended = ended
        self.handle = handle


def _contacts(events: list[Ev]) -> list[_Contact]:
    by_contact: dict[str, list[Ev]] = {}
    for e in events:
        if e["type"].startswith("contact."):
            by_contact.setdefault(str(e["data"]["contact_id"]), []).append(e)
    contacts = []
    for evs in by_contact.values():
        queued = _first(e for e in evs if e["type"] == "contact.queued")
        if queued is None:
            continue
        outcome = min((e for e in evs if e["type"] in ("contact.answered",
                                                         "contact.abandoned")),
                      key=lambda e: (_t(e), e["type"] != "contact.answered", e["id"]),
                      default=None)
        answered = (_t(outcome) if outcome is not None
                    and outcome["type"] == "contact.answered" else None)
        ended = _first(e for e in evs if e["type"] == "contact.ended")
        handle: Fraction | None = None
        if ended is not None:
            d = ended["data"]
            handle = _num(d["talk_seconds"]) + _num(d["hold_seconds"]) + _num(d["acw_seconds"])
        contacts.append(_Contact(_channel(queued["data"]["channel"]),
                                 str(queued["data"]["customer_id"]), _t(queued), answered,
                                 _t(ended) if ended is not None else None, handle))
    return contacts


def _is_repeat(c: _Contact, contacts: list[_Contact], repeat_window: Fraction) -> bool:
    assert c.answered is not None
    for d in contacts:
        if d is c or d.customer != c.customer or d.answered is None:
            continue
        if c.answered - repeat_window <= d.answered < c.answered:
            return True
    return False


# --- agents ---------------------------------------------------------------------------

def _agent_intervals(events: list[Ev], now: Fraction, offline_after: Fraction
                     ) -> tuple[list[tuple[Fraction, Fraction, str]], dict[str, str]]:
    """Every agent's state intervals up to now, and every agent's state at now."""
    by_agent: dict[str, list[Ev]] = {}
    for e in events:
        if (e["type"] == "agent.state_changed" and e["data"]["state"] in STATES
                and _t(e) <= now):
            by_agent.setdefault(str(e["data"]["agent_id"]), []).append(e)
    intervals: list[tuple[Fraction, Fraction, str]] = []
    state_now: dict[str, str] = {}
    for agent, evs in by_agent.items():
        evs.sort(key=lambda e: (_t(e), e["id"]))
        for i, e in enumerate(evs):
            start = _t(e)
            end = _t(evs[i + 1]) if i + 1 < len(evs) else now
            silent = start + offline_after
            state = e["data"]["state"]
            if silent <= end:
                intervals.append((start, silent, state))
                intervals.append((silent, end, "offline"))
            else:
                intervals.append((start, end, state))
        last = evs[-1]
        state_now[agent] = ("offline" if now - _t(last) >= offline_after
                            else last["data"]["state"])
    return intervals, state_now


# --- the whole family -----------------------------------------------------------------

def expected_workforce_metrics(
        events: list[dict[str, Any]], now: float, *, offline_after: float = 12 * 3600,
        repeat_window: float = 7 * 86400, service_level_target: float = 0.8,
        answer_target_seconds: float = 20.0) -> dict[SampleKey, float]:
    """Every series of the workforce family, keyed like the exporter's samples."""
    kept = _dedupe(events)
    at = Fraction(now)
    out: dict[SampleKey, float] = {}

    contacts = _contacts(kept)
    for window, minutes in WINDOWS.items():
        for channel in CHANNELS:
            labels = {"window": window, "channel": channel}
            mine = [c for c in contacts if c.channel == channel]
            handles = [c.handle for c in mine if c.ended is not None
                       and c.handle is not None and _in_window(c.ended, at, minutes)]
            _summary(out, "cx_contact_handle_seconds", handles, **labels)
            answered = [c for c in mine if c.answered is not None
                        and _in_window(c.answered, at, minutes)]
            repeats = sum(1 for c in answered
                          if _is_repeat(c, contacts, Fraction(repeat_window)))
            out[_key("cx_contacts_answered", **labels)] = len(answered)
            out[_key("cx_contacts_repeat", **labels)] = repeats
            if answered:
                out[_key("cx_contact_repeat_ratio", **labels)] = repeats / len(answered)

    for channel in CHANNELS:
        mine = [c for c in contacts if c.channel == channel]
        handles = [c.handle for c in mine if c.ended is not None and c.handle is not None
                   and _in_window(c.ended, at, WINDOWS["1h"])]
        if not handles:
            continue
        aht = sum(handles, Fraction(0)) / len(handles)
        queued = sum(1 for c in mine if _in_window(c.queued, at, WINDOWS["1h"]))
        traffic = queued / Fraction(3600) * aht
        out[_key("cx_staffing_required_agents", channel=channel)] = required_agents(
            float(traffic), float(aht), service_level_target, answer_target_seconds)

    intervals, state_now = _agent_intervals(kept, at, Fraction(offline_after))
    for state in STATES:
        out[_key("cx_agents", state=state)] = sum(1 for s in state_now.values() if s == state)
    for window, minutes in WINDOWS.items():
        lo = _window_start(at, minutes)
        busy = Fraction(0)
        staffed = Fraction(0)
        for start, end, state in intervals:
            overlap = max(Fraction(0), min(end, at) - max(start, lo))
            if state in STAFFED:
                staffed += overlap
            if state in OCCUPIED:
                busy += overlap
        out[_key("cx_agent_busy_seconds", window=window)] = float(busy)
        out[_key("cx_agent_staffed_seconds", window=window)] = float(staffed)
        if staffed:
            out[_key("cx_agent_occupancy_ratio", window=window)] = float(busy / staffed)
    return out
