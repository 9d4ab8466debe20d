"""Agent states and occupancy (SPEC §2 "Contact-center workforce", docs/families.md
"Agents").

An agent's history is its ``agent.state_changed`` entries by (time, id). Each entry
starts an interval in its state that runs to the agent's next entry, but at most
``offline_after`` (12 h): after that much silence the agent is offline. Closed
intervals (between two entries) are split over the minutes they cover, as integer
microseconds of staffed time (available, busy, acw) and of occupied time (busy, acw):
facts, like every other family's. The open interval of an agent's latest entry at or
before now grows as now moves, so it is added at scrape time (:meth:`AgentArithmetic.
open_time`), which also takes back what closed intervals of entries later than now
put in now's own minute (a partition ahead of the family's "now").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cxpulse.core.facts import MICRO, Fact
from cxpulse.core.sorted_history import TIME
from cxpulse.schemas.events import Event

STATES = ("available", "busy", "acw", "away", "offline")
STAFFED = frozenset({"available", "busy", "acw"})
OCCUPIED = frozenset({"busy", "acw"})
STATE = 3
"""The field of an entry after time, kind and id."""
N_OCCUPIED, N_STAFFED = 0, 1
"""Fact fields: integer microseconds busy or acw, and available, busy or acw."""
MINUTE = 60 * MICRO
NO_LABELS: tuple[str, ...] = ()


def micros(t: float) -> int:
    """Event time in integer microseconds (RFC 3339 times have at most 6 decimals)."""
    return round(t * MICRO)


def split(start: int, end: int, state: str) -> Iterator[Fact]:
    """The facts of ``state`` on [start, end) (microseconds), minute by minute."""
    if state not in STAFFED:
        return
    occupied = state in OCCUPIED
    b = start // MINUTE
    while start < end:
        edge = min(end, (b + 1) * MINUTE)
        yield (b, NO_LABELS, N_STAFFED, edge - start)
        if occupied:
            yield (b, NO_LABELS, N_OCCUPIED, edge - start)
        start, b = edge, b + 1


@dataclass(slots=True)
class OpenTime:
    """What the facts do not hold at a scrape: per window, microseconds to add."""

    occupied: dict[str, int]
    staffed: dict[str, int]
    states: dict[str, int]
    """Agents by their state now."""


@dataclass(slots=True)
class FactsMemo:
    """One history's facts as last computed, to compute the next ones from."""

    history: list[list[Any]]
    """The history itself: held, so its id is not reused while this is kept."""
    entries: list[list[Any]]
    """Its entries then (the same objects; a changed entry is a new one)."""
    ends: list[int]
    """Per closed interval, the number of facts up to its end."""
    facts: list[Fact]

    def unchanged_intervals(self, history: list[list[Any]]) -> int:
        """How many leading intervals are as they were: an interval runs from its entry
        to the next one, so it is unchanged when both entries are."""
        n = len(self.entries)
        if history[:n] == self.entries:  # appended at the end: the usual change
            same = n
        else:
            same = next((i for i, (a, b) in enumerate(zip(self.entries, history, strict=False))
                         if a is not b and a != b), min(n, len(history)))
        return min(max(0, same - 1), len(self.ends))


class AgentArithmetic:
    """Entries and facts of ``cx.agents``; keeps each agent's history for the scrape."""

    n_sums = 2
    n_sketches = 0

    def __init__(self, offline_after: float) -> None:
        self.offline_after = micros(offline_after)
        self.agents: dict[str, list[list[Any]]] = {}
        self._memo: dict[int, FactsMemo] = {}
        """Per tracked history (by id), its facts as last computed."""

    def entry(self, event: Event) -> tuple[str, list[Any]]:
        data = event.data
        return str(data["agent_id"]), [event.time, "s", event.id, str(data["state"])]

    def interval_end(self, history: list[list[Any]], i: int) -> int:
        """End of entry ``i``'s state: the next entry, or offline after the silence."""
        start = micros(history[i][TIME])
        silent = start + self.offline_after
        return silent if i + 1 == len(history) else min(silent, micros(history[i + 1][TIME]))

    def facts(self, history: list[list[Any]]) -> list[Fact]:
        """The closed intervals' facts. The intervals before the first entry that
        changed since the last call for this history are taken from then: a day of
        minutes is not split again for each state change."""
        memo = self._memo.get(id(history))
        kept = memo.unchanged_intervals(history) if memo is not None else 0
        out: list[Fact] = []
        ends: list[int] = []
        if memo is not None and kept:
            out, ends = memo.facts[:memo.ends[kept - 1]], memo.ends[:kept]
        for i in range(kept, len(history) - 1):
            out.extend(split(micros(history[i][TIME]), self.interval_end(history, i),
                             history[i][STATE]))
            ends.append(len(out))
        self._memo[id(history)] = FactsMemo(history, history.copy(), ends, out)
        return out

    def track(self, key: str, history: list[list[Any]] | None) -> None:
        before = self.agents.pop(key, None) if history is None else self.agents.get(key)
        if before is not None and before is not history:
            self._memo.pop(id(before), None)
        if history is not None:
            self.agents[key] = history

    def clear(self) -> None:
        self.agents.clear()
        self._memo.clear()

    def open_time(self, now: float, windows: dict[str, int]) -> OpenTime:
        """The open intervals up to now and the states now; ``windows`` maps a window's
        name to its size in minutes (its oldest minute starts the clipping)."""
        at = micros(now)
        minute = at // MINUTE
        lows = {name: (minute - size + 1) * MINUTE for name, size in windows.items()}
        occupied = dict.fromkeys(windows, 0)
        staffed = dict.fromkeys(windows, 0)
        states = dict.fromkeys(STATES, 0)
        for history in self.agents.values():
            last = len(history) - 1
            if history[last][TIME] > now:  # entries later than now: not yet in effect
                last = bisect_right(history, now, key=_time) - 1
                self._take_back_future(history, last, at, occupied, staffed)
            if last < 0:
                continue  # no entry at or before now: the agent is nowhere yet
            start = micros(history[last][TIME])
            state = history[last][STATE]
            silent = start + self.offline_after
            states["offline" if at >= silent else state] += 1
            if last < len(history) - 1 or state not in STAFFED:
                continue  # its interval is in the facts (taken back past now above)
            end = min(at, silent)
            for name, low in lows.items():
                span = max(0, end - max(start, low))
                staffed[name] += span
                if state in OCCUPIED:
                    occupied[name] += span
        return OpenTime(occupied, staffed, states)

    def _take_back_future(self, history: list[list[Any]], last: int, at: int,
                          occupied: dict[str, int], staffed: dict[str, int]) -> None:
        """Subtract what closed intervals put after ``at`` in its own minute (every
        window holds that minute; later minutes are in none yet)."""
        minute_end = (at // MINUTE + 1) * MINUTE
        for i in range(max(last, 0), len(history) - 1):
            start = micros(history[i][TIME])
            if start >= minute_end:
                break
            state = history[i][STATE]
            span = max(0, min(self.interval_end(history, i), minute_end) - max(start, at))
            if span and state in STAFFED:
                for name in staffed:
                    staffed[name] -= span
                    if state in OCCUPIED:
                        occupied[name] -= span


def _time(entry: list[Any]) -> float:
    return float(entry[TIME])

