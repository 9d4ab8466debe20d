"""The error of ``cx_active_users`` for ``7d`` and ``28d`` (HyperLogLog sketches).

``python -m bench.sketch_error N``: N users, each active on one to three of the last
28 days (the bench's user ids, ``U-<n>``); the windows' counts against a plain
count of the same users. Prints one JSON line.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import orjson

from cxpulse.core.active_users import ActiveUsers

NOW = 1_795_300_000.0
DAY = 86400.0


@dataclass
class SketchError:
    users: int
    exact: dict[str, int]
    counted: dict[str, int]

    def relative(self, window: str) -> float:
        return abs(self.counted[window] - self.exact[window]) / self.exact[window]


def measure(n: int, seed: int = 28) -> SketchError:
    rng = random.Random(seed)
    users = ActiveUsers({}, ZoneInfo("UTC"))
    users.advance(NOW)
    in_7d = 0
    for i in range(n):
        days = rng.sample(range(28), rng.randint(1, 3))
        for back in days:
            users.observe(f"U-{i}", NOW - back * DAY - rng.uniform(0, DAY / 2), i % 6)
        in_7d += min(days) <= 6  # NOW is 22:26 UTC: half a day back stays in the same day
        if i % 1000 == 999:
            users.write_blocks()
    counted = users.counts(NOW)
    return SketchError(n, {"7d": in_7d, "28d": n}, {w: counted[w] for w in ("7d", "28d")})


if __name__ == "__main__":
    result = measure(int(sys.argv[1]))
    sys.stdout.write(orjson.dumps({"users": result.users, "exact": result.exact,
                                   "counted": result.counted}).decode() + "\n")
