"""Exact distinct users per window (``cx_active_users``), in small memory per user.

Every window ends at floor_minute(now), so a user is active in a window exactly when
their latest active minute at or before now lies in it. We keep, per user, that
minute ("effective latest") and a histogram of users by it; a window's count is the
number of users whose effective latest is at or after the window's first minute.
Minutes after now (a partition ahead of the watermark) wait in a heap until now
reaches them. Per user the durable state (a changelog-backed table) is the list of
their distinct active minutes of the last 25 hours, plus the latest older one.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter
from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cxpulse.core.expiry import ExpiryQueue
from cxpulse.core.table_walk import items_as_of_now
from cxpulse.core.windows import WINDOWS, bucket

KEEP_MINUTES = 25 * 60
"""Minutes kept per user behind their newest one: enough for a watermark up to 25 h
behind the user's partition."""
FORGET_AFTER = 29 * 86400.0
"""A user inactive this long is in no window (28d is the longest): forget them."""

USER_WINDOWS = (*WINDOWS, "1d", "7d", "28d")


def local_midnight_minute(now: float, tz: ZoneInfo, days_back: int = 0) -> int:
    """The bucket of local midnight ``days_back`` days before now's local day."""
    day = datetime.fromtimestamp(now, tz).date() - timedelta(days=days_back)
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return bucket(midnight.timestamp())


class ActiveUsers:
    """Distinct users per window over ``users``: user id -> ``{"p", "m"}``."""

    def __init__(self, users: MutableMapping[str, Any], tz: ZoneInfo) -> None:
        self.users = users
        self.tz = tz
        self.clear()

    def clear(self) -> None:
        self.last_minute: int | None = None
        """floor_minute(now), once now is known."""
        self.latest: dict[str, int] = {}
        self.histogram: Counter[int] = Counter()
        self._future: list[tuple[int, str]] = []
        self._expiry = ExpiryQueue()

    def observe(self, user: str, t: float, partition: int) -> None:
        """A ``cx.sessions`` event of ``user`` at event time ``t`` (not late)."""
        minute = bucket(t)
        record = self.users.get(user)
        minutes: list[int] = list(record["m"]) if record else []
        i = bisect.bisect_left(minutes, minute)
        if i < len(minutes) and minutes[i] == minute:
            return
        minutes.insert(i, minute)
        cut = bisect.bisect_left(minutes, minutes[-1] - KEEP_MINUTES)
        self.users[user] = {"p": partition, "m": minutes[max(0, cut - 1):]}
        self._expiry.push(partition, minutes[-1] * 60 + FORGET_AFTER, user)
        self._reach(user, minute)

    def _reach(self, user: str, minute: int) -> None:
        if self.last_minute is None or minute > self.last_minute:
            heapq.heappush(self._future, (minute, user))
            return
        old = self.latest.get(user)
        if old is None or minute > old:
            if old is not None:
                self._uncount(old)
            self.latest[user] = minute
            self.histogram[minute] += 1

    def _uncount(self, minute: int) -> None:
        self.histogram[minute] -= 1
        if not self.histogram[minute]:
            del self.histogram[minute]

    def advance(self, now: float) -> None:
        minute = bucket(now)
        if self.last_minute is not None and minute <= self.last_minute:
            return
        self.last_minute = minute
        while self._future and self._future[0][0] <= minute:
            due, user = heapq.heappop(self._future)
            self._reach(user, due)

    def expire(self, partition: int, now: float) -> None:
        """Forget users of ``partition`` inactive for longer than any window."""
        for user in self._expiry.pop_due(partition, now):
            record = self.users.get(user)
            if record is not None and record["m"][-1] * 60 + FORGET_AFTER < now:
                del self.users[user]
                old = self.latest.pop(user, None)
                if old is not None:
                    self._uncount(old)

    def rebuild(self, partitions: set[int], now: float | None) -> None:
        for _ in self.rebuild_steps(partitions, now):
            pass

    def rebuild_steps(self, partitions: set[int], now: float | None,
                      step: int = 5000) -> Iterator[None]:
        """:meth:`rebuild`, yielding every ``step`` users (see ``HistoryFamily``)."""
        self.clear()
        if now is not None:
            self.advance(now)
        for n, (user, record) in enumerate(items_as_of_now(self.users), 1):
            if record["p"] in partitions:
                minutes = record["m"]
                self._expiry.push(record["p"], minutes[-1] * 60 + FORGET_AFTER, user)
                for minute in minutes:
                    self._reach(user, minute)
            if n % step == 0:
                yield

    def counts(self, now: float) -> dict[str, int]:
        """Distinct users per window at ``now`` (after :meth:`advance`)."""
        last = bucket(now)
        first_minute = {name: last - size + 1 for name, size in WINDOWS.items()}
        first_minute["1d"] = local_midnight_minute(now, self.tz)
        first_minute["7d"] = local_midnight_minute(now, self.tz, 6)
        first_minute["28d"] = local_midnight_minute(now, self.tz, 27)
        return {name: sum(n for m, n in self.histogram.items() if m >= lo)
                for name, lo in first_minute.items()}
