"""Distinct users per window (``cx_active_users``) in a few bytes per user.

Every window ends at floor_minute(now), so a user is active in a window exactly when
their latest active minute at or before now lies in it. We keep, per user, that
minute (:class:`LatestMinutes`: a 64-bit hash of the user id and a 32-bit minute)
and a histogram of users by it; a window's count is the number of users whose
latest minute is at or after the window's first minute. This is exact for ``5m``,
``1h``, ``24h`` and ``1d`` (up to a 64-bit hash collision: about 3e-8 for a million
users). ``7d`` and ``28d`` come from one HyperLogLog sketch per day
(:mod:`day_sketches`), as SPEC allows. Minutes after now (a partition ahead of the
watermark) wait in a heap until now reaches them.

Durable state, in the changelog-backed ``users`` table, written from the partition
the users belong to:
- ``b:{partition}:{minute}:{n}``: the hashes of users active in that minute, packed
  little-endian 8 bytes each (signed), base64, :data:`BLOCK_SIZE` per record, so a batch
  rewrites at most one partial record per minute it touched. Blocks older than
  :data:`KEEP_MINUTES` are deleted.
- ``d:{partition}:{day}``: a day's sketch, saved before the last of its blocks are
  deleted (and again if a late event changes it).
A rebuild takes the latest minute per hash from the blocks, and each day's sketch
from its saved copy plus its blocks.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import sys
from array import array
from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from cxpulse.core.day_sketches import DAYS_KEPT, DaySketches
from cxpulse.core.latest_minutes import LatestMinutes
from cxpulse.core.partition_writes import delete, put
from cxpulse.core.table_walk import items_as_of_now
from cxpulse.core.windows import WINDOWS, bucket

KEEP_MINUTES = 25 * 60
"""Minutes kept behind now: the longest exact window (``1d`` on a 25-hour day)."""
PRUNE_EVERY = 60
"""Minutes of event time between two prunings of old minutes."""
BLOCK_SIZE = 256
"""Hashes per block record (2 KB before base64)."""
REBUILD_STEP = 5000

USER_WINDOWS = (*WINDOWS, "1d", "7d", "28d")



def user_hash(user: str) -> int:
    """A 64-bit hash of a user id, the same in every process (not Python's ``hash``).

    Signed: DataSketches' ``update(int)`` takes a signed 64-bit integer, and a larger
    one would silently go through its ``float`` overload (53 bits)."""
    return int.from_bytes(hashlib.blake2b(user.encode(), digest_size=8).digest(), "little",
                          signed=True)


def local_midnight_minute(now: float, tz: ZoneInfo, days_back: int = 0) -> int:
    """The bucket of local midnight ``days_back`` days before now's local day."""
    day = datetime.fromtimestamp(now, tz).date() - timedelta(days=days_back)
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    return bucket(midnight.timestamp())


def _unpack(text: str) -> npt.NDArray[np.int64]:
    return np.frombuffer(base64.b64decode(text), "<i8").astype(np.int64)


class ActiveUsers:
    """Distinct users per window over the ``users`` table (see the module doc)."""

    def __init__(self, users: MutableMapping[str, Any], tz: ZoneInfo) -> None:
        self.users = users
        self.tz = tz
        self.clear()

    def clear(self) -> None:
        self.last_minute: int | None = None
        """floor_minute(now), once now is known."""
        self.latest = LatestMinutes()
        self.histogram: dict[int, int] = {}
        self._floor = 0
        """Latest minutes below this are out of every exact window (no longer counted)."""
        self._future: list[tuple[int, int, int]] = []
        """(minute, user hash, partition) after now."""
        self.days = DaySketches(self._saved_day)
        self._pending: dict[tuple[int, int], list[int]] = {}
        """(partition, minute) -> hashes to append to its blocks at :meth:`write_blocks`."""
        self._blocks: dict[tuple[int, int], int] = {}
        """(partition, minute) -> number of its last block record."""
        self._saved_days: set[tuple[int, int]] = set()
        self._pruned: dict[int, int] = {}
        """partition -> the floor its blocks were last pruned to."""
        self.partitions: set[int] = set()
        self._days: dict[int, int] = {}
        """15-minute slot -> local day ordinal (every time zone's midnight is on one)."""

    def _day(self, minute: int) -> int:
        slot = minute // 15
        day = self._days.get(slot)
        if day is None:
            if len(self._days) > 10_000:
                self._days.clear()
            day = datetime.fromtimestamp(slot * 900, self.tz).toordinal()
            self._days[slot] = day
        return day

    def _saved_day(self, partition: int, day: int) -> str | None:
        value = self.users.get(f"d:{partition}:{day}")
        return value if isinstance(value, str) else None

    def observe(self, user: str, t: float, partition: int) -> None:
        """A ``cx.sessions`` event of ``user`` at event time ``t`` (not late)."""
        h = user_hash(user)
        minute = bucket(t)
        self.partitions.add(partition)
        if self.last_minute is None or minute > self.last_minute:
            heapq.heappush(self._future, (minute, h, partition))
        elif not self._reach(h, minute, partition):
            return  # already seen in this minute: nothing new to keep
        pending = self._pending.get((partition, minute))
        if pending is None:
            self._pending[(partition, minute)] = [h]
        else:
            pending.append(h)

    def _reach(self, h: int, minute: int, partition: int) -> bool:
        """Count the user active at ``minute`` (<= now); False if that is not news."""
        old = self.latest.get(h)
        if old == minute:
            return False
        if old is None or old < minute:
            if old is not None and old >= self._floor:
                left = self.histogram[old] - 1
                if left:
                    self.histogram[old] = left
                else:
                    del self.histogram[old]
            self.latest.set(h, minute, self._floor)
            self.histogram[minute] = self.histogram.get(minute, 0) + 1
        self.days.add(partition, self._day(minute), h)
        return True

    def advance(self, now: float) -> None:
        minute = bucket(now)
        if self.last_minute is not None and minute <= self.last_minute:
            return
        self.last_minute = minute
        while self._future and self._future[0][0] <= minute:
            due, h, partition = heapq.heappop(self._future)
            self._reach(h, due, partition)
        if minute - KEEP_MINUTES >= self._floor + PRUNE_EVERY:
            self._floor = minute - KEEP_MINUTES
            for old in [m for m in self.histogram if m < self._floor]:
                del self.histogram[old]

    def write_blocks(self) -> None:
        """Append the hashes observed since the last call to their minutes' blocks."""
        pending, self._pending = self._pending, {}
        full = BLOCK_SIZE * 8
        for (partition, minute), hashes in pending.items():
            packed = array("q", hashes)
            if sys.byteorder == "big":
                packed.byteswap()
            data = packed.tobytes()
            n = self._blocks.get((partition, minute))
            if n is None:
                n = 0
            else:
                last = self.users.get(f"b:{partition}:{minute}:{n}")
                if last is not None:
                    data = base64.b64decode(last) + data
            while len(data) > full:
                put(self.users, f"b:{partition}:{minute}:{n}",
                     base64.b64encode(data[:full]).decode(), partition)
                data, n = data[full:], n + 1
            put(self.users, f"b:{partition}:{minute}:{n}", base64.b64encode(data).decode(),
                 partition)
            self._blocks[(partition, minute)] = n

    def expire(self, partition: int) -> None:
        """Delete ``partition``'s blocks of minutes out of every exact window, saving
        first each day sketch they fed that changed; drop sketches older than 28 days."""
        if self.last_minute is None:
            return
        floor = self.last_minute - KEEP_MINUTES
        if floor < self._pruned.get(partition, floor - PRUNE_EVERY) + PRUNE_EVERY:
            return
        self._pruned[partition] = floor
        old = [m for p, m in self._blocks if p == partition and m < floor]
        for day in sorted({self._day(m) for m in old}):
            self._save_day(partition, day)
        for minute in old:
            for n in range(self._blocks.pop((partition, minute)) + 1):
                delete(self.users, f"b:{partition}:{minute}:{n}", partition)
        today = self._day(self.last_minute)
        for day in [d for p, d in self._saved_days if p == partition and d <= today - DAYS_KEPT]:
            self._saved_days.discard((partition, day))
            delete(self.users, f"d:{partition}:{day}", partition)
        for p, day in self.days.live:
            if p == partition and day < today - 1:
                self._save_day(partition, day)
        self.days.retire(today - 1)

    def _save_day(self, partition: int, day: int) -> None:
        text = self.days.take_dirty(partition, day)
        if text is not None:
            put(self.users, f"d:{partition}:{day}", text, partition)
            self._saved_days.add((partition, day))

    def rebuild(self, partitions: set[int], now: float | None) -> None:
        for _ in self.rebuild_steps(partitions, now):
            pass

    def rebuild_steps(self, partitions: set[int], now: float | None,
                      step: int = REBUILD_STEP) -> Iterator[None]:
        """Everything again from the ``users`` table, for ``partitions``; yields every
        ``step`` records or users (see ``HistoryFamily``)."""
        self.clear()
        self.partitions = set(partitions)
        if now is not None:
            self.advance(now)
        blocks: list[tuple[int, int, npt.NDArray[np.int64]]] = []
        for n, (key, value) in enumerate(items_as_of_now(self.users), 1):
            if isinstance(value, str):
                kind, p, rest = key.split(":", 2)
                partition = int(p)
                if partition in partitions:
                    if kind == "b":
                        minute, number = map(int, rest.split(":"))
                        blocks.append((partition, minute, _unpack(value)))
                        known = self._blocks.get((partition, minute), -1)
                        self._blocks[(partition, minute)] = max(known, number)
                    else:
                        self._saved_days.add((partition, int(rest)))
            elif isinstance(value, dict) and value.get("p") in partitions:
                blocks.extend(self._upgrade(key, value))
            if n % step == 0:
                yield
        yield from self._load(blocks, step)
        self.write_blocks()  # what _upgrade converted

    def _upgrade(self, user: str, record: dict[str, Any]) -> Iterator[
            tuple[int, int, npt.NDArray[np.int64]]]:
        """A record of the per-user format (``{"p", "m"}``): its minutes become block
        entries, written in the new format at the next :meth:`write_blocks`."""
        partition, h = int(record["p"]), user_hash(user)
        delete(self.users, user, partition)
        for minute in record["m"]:
            self._pending.setdefault((partition, minute), []).append(h)
            yield partition, minute, np.array([h], np.int64)

    def _load(self, blocks: list[tuple[int, int, npt.NDArray[np.int64]]],
              step: int) -> Iterator[None]:
        last = self.last_minute
        keys: list[npt.NDArray[np.int64]] = []
        minutes: list[npt.NDArray[np.uint32]] = []
        done = 0
        for partition, minute, hashes in blocks:
            if last is None or minute > last:
                for h in hashes.tolist():
                    heapq.heappush(self._future, (minute, h, partition))
                continue
            keys.append(hashes)
            minutes.append(np.full(len(hashes), minute, np.uint32))
            day = self._day(minute)
            for h in hashes.tolist():
                self.days.add(partition, day, h)
            done += len(hashes)
            if done >= step:
                done = 0
                yield
        if keys:
            self.latest.load(np.concatenate(keys), np.concatenate(minutes), self._floor)
            counted = self.latest.items()[1]
            values, counts = np.unique(counted, return_counts=True)
            self.histogram = dict(zip(values.tolist(), counts.tolist(), strict=True))

    def counts(self, now: float) -> dict[str, int]:
        """Distinct users per window at ``now`` (after :meth:`advance`)."""
        last = bucket(now)
        first_minute = {name: last - size + 1 for name, size in WINDOWS.items()}
        first_minute["1d"] = local_midnight_minute(now, self.tz)
        out = {name: sum(n for m, n in self.histogram.items() if m >= lo)
               for name, lo in first_minute.items()}
        today = self._day(last)
        out["7d"] = self.days.count(self.partitions, today, 7)
        out["28d"] = self.days.count(self.partitions, today, 28)
        return out
