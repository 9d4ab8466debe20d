"""user hash -> latest active minute, in about 12 bytes per user.

A Python dict costs about 100 bytes per int -> int entry (two int objects and the
slot); a million daily users would cost 100 MB for this map alone. Here the bulk
lives in two sorted numpy arrays (8-byte hashes, 4-byte minutes) and only the
users changed since the last merge sit in a small dict, which is merged into the
arrays when it reaches :data:`MERGE_AT` entries: the two-level form of an LSM tree.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MERGE_AT = 32_768
"""Recent entries held in the dict before they are merged (about 3 MB)."""


class LatestMinutes:
    __slots__ = ("_keys", "_minutes", "_recent")

    def __init__(self) -> None:
        self._keys: npt.NDArray[np.int64] = np.empty(0, np.int64)
        self._minutes: npt.NDArray[np.uint32] = np.empty(0, np.uint32)
        self._recent: dict[int, int] = {}

    def get(self, user: int) -> int | None:
        minute = self._recent.get(user)
        if minute is not None:
            return minute
        keys = self._keys
        i = int(keys.searchsorted(np.int64(user)))
        if i < len(keys) and int(keys[i]) == user:
            return int(self._minutes[i])
        return None

    def set(self, user: int, minute: int, floor: int) -> None:
        """Record ``minute`` (never older than what is kept); merging drops every entry
        older than ``floor``."""
        self._recent[user] = minute
        if len(self._recent) >= MERGE_AT:
            self.merge(floor)

    def merge(self, floor: int) -> None:
        """Move the recent entries into the arrays: in place where a user is there
        already, by one insertion otherwise. The arrays only grow here (and shrink when
        old minutes are dropped), so each new one is larger than the last one freed and
        the allocator maps it fresh, returning the old one to the system on free."""
        recent, self._recent = self._recent, {}
        n = len(recent)
        new_keys = np.fromiter(recent.keys(), np.int64, n)
        new_minutes = np.fromiter(recent.values(), np.uint32, n)
        order = np.argsort(new_keys)
        new_keys, new_minutes = new_keys[order], new_minutes[order]
        keys = self._keys
        at = keys.searchsorted(new_keys)
        found = at < len(keys)
        found[found] = keys[at[found]] == new_keys[found]
        self._minutes[at[found]] = new_minutes[found]  # a recent minute is the newer one
        fresh = ~found
        self._keys = np.insert(keys, at[fresh], new_keys[fresh])
        self._minutes = np.insert(self._minutes, at[fresh], new_minutes[fresh])
        if floor > 0 and len(self._minutes) and int(self._minutes.min()) < floor:
            keep = self._minutes >= floor
            self._keys, self._minutes = self._keys[keep], self._minutes[keep]

    def load(self, keys: npt.NDArray[np.int64], minutes: npt.NDArray[np.uint32],
             floor: int) -> None:
        """Replace everything with the latest minute per key of these pairs (a rebuild)."""
        self._recent = {}
        self._keys, self._minutes = latest_per_key(keys, minutes, floor)

    def items(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
        """Every (key, latest minute), merged first."""
        if self._recent:
            self.merge(0)
        return self._keys, self._minutes


def latest_per_key(keys: npt.NDArray[np.int64], minutes: npt.NDArray[np.uint32],
                   floor: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint32]]:
    """Sorted unique keys with the largest minute of each, minutes below ``floor`` dropped."""
    order = np.lexsort((minutes, keys))  # by key, then minute: the last of a run is the max
    keys, minutes = keys[order], minutes[order]
    last = np.ones(len(keys), bool)
    last[:-1] = keys[1:] != keys[:-1]
    last &= minutes >= floor
    return keys[last], minutes[last]
