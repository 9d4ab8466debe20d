"""Every family's traffic together, as :mod:`cxpulse.families` lists them.

``tickets_per_hour`` is a day's average; each family's part runs at its line's
``per_ticket`` times that, all following the same diurnal curve.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cxpulse.families import FAMILIES
from cxpulse.simulate.base import Timed, time_sorted

SIMULATED = tuple(line.name for line in FAMILIES if line.traffic is not None)
"""The families with a simulator part of their own, in the registry's order."""


class MixedTraffic:
    """Every family together; ``families`` picks some (default: all)."""

    FAMILIES = SIMULATED

    def __init__(self, seed: int = 1, tickets_per_hour: float = 600.0,
                 families: tuple[str, ...] = SIMULATED) -> None:
        unknown = set(families) - set(SIMULATED)
        if unknown:
            raise ValueError(f"unknown families: {', '.join(sorted(unknown))}")
        self.parts = [line.traffic(seed, tickets_per_hour * line.per_ticket)
                      for line in FAMILIES if line.traffic is not None and line.name in families]

    def timed(self, start: float, end: float) -> Iterator[Timed]:
        """Events of everything arriving in [start, end), some of them after ``end``."""
        for part in self.parts:
            yield from part.timed(start, end)

    def history(self, start: float, end: float) -> list[dict[str, Any]]:
        """Every event with time in [start, end) of what arrived then, time-sorted."""
        return time_sorted(self.timed(start, end), end)
