"""What every simulated family shares: ids, event envelopes, a diurnal arrival curve."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

Timed = tuple[float, dict[str, Any]]
"""An event with its event time, so nobody parses back what was just formatted."""

_DAY = 86400.0
_MEAN_SHAPE = 0.3 + 0.7 * (15 / 24) * (2 / math.pi)
PEAK = (0.3 + 0.7) / _MEAN_SHAPE
"""The busiest hour's rate, as a multiple of the day's average."""


def rfc3339(t: float) -> str:
    """Unix seconds -> RFC 3339 UTC with milliseconds."""
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def diurnal(t: float) -> float:
    """Traffic at time ``t`` relative to the day's average: quiet nights, a 14:30 peak."""
    hour = (t % _DAY) / 3600.0
    shape = 0.3 + (0.7 * math.sin(math.pi * (hour - 7) / 15) if 7 <= hour <= 22 else 0.0)
    return shape / _MEAN_SHAPE


def time_sorted(timed: Iterable[Timed], end: float) -> list[dict[str, Any]]:
    """The events before ``end``, by event time (ties keep generation order)."""
    kept = [(t, n, event) for n, (t, event) in enumerate(timed) if t < end]
    return [event for _, _, event in sorted(kept, key=lambda x: (x[0], x[1]))]


def pick(rng: random.Random, mix: Mapping[str, float]) -> str:
    return rng.choices(list(mix), weights=list(mix.values()))[0]


def lognormal(rng: random.Random, median: float, sigma: float = 0.9) -> float:
    return rng.lognormvariate(math.log(median), sigma)


class Traffic:
    """Entities arriving by a Poisson process following the diurnal curve.

    Subclasses say what one entity's life is (:meth:`life`); ids are deterministic
    for a seed, so a recorded file can be made again.
    """

    family = "x"
    source = "simulator"

    def __init__(self, seed: int, per_hour: float) -> None:
        self.rng = random.Random(f"{seed}-{self.family}")
        self.seed = seed
        self.per_hour = per_hour
        self._entities = 0
        self._events = 0

    def next_entity(self) -> int:
        self._entities += 1
        return self._entities

    def event(self, event_type: str, t: float, data: dict[str, Any]) -> Timed:
        self._events += 1
        return t, {"specversion": "1.0", "id": f"sim-{self.seed}-{self.family}-{self._events}",
                   "source": self.source, "type": event_type, "time": rfc3339(t),
                   "data": data}

    def life(self, t: float) -> list[Timed]:
        raise NotImplementedError

    def arrivals(self, start: float, end: float) -> Iterator[float]:
        """Arrival times in [start, end) (thinning of the peak-rate process)."""
        if self.per_hour <= 0:
            return
        peak_rate = self.per_hour * PEAK / 3600.0
        t = start
        while True:
            t += self.rng.expovariate(peak_rate)
            if t >= end:
                return
            if self.rng.random() * PEAK < diurnal(t):
                yield t

    def timed(self, start: float, end: float) -> Iterator[Timed]:
        """Every event of the entities arriving in [start, end), some after ``end``."""
        for t in self.arrivals(start, end):
            yield from self.life(t)

    def history(self, start: float, end: float) -> list[dict[str, Any]]:
        """Every event with time in [start, end) of what arrived then, time-sorted."""
        return time_sorted(self.timed(start, end), end)
