"""A dict split into shards, so growing it never stalls the event loop.

CPython grows a dict by rebuilding its whole table at once: measured here, one
insert into a dict of 700,000 keys takes 23 ms, of 1.4 million 48 ms, and a
recovery fills several per-entity dicts that all double at the same size, holding
the loop for a few hundred milliseconds at 10^6 entities. With the keys spread
over :data:`SHARDS` dicts by hash, each doubling moves 1/64 of them.

The shards are of unequal sizes on purpose. Equal shards all reach their growth
threshold within a few hundred inserts of each other, so their 64 small rebuilds
came together as one big one: at 1.4 million tickets 0.4 s of extra work within
30,000 new tickets, where every latency run's slowest scrapes were. Shard
``i`` takes a share of the keys proportional to ``2 ** (i / SHARDS)``: the shares
span a factor of two, so while the whole map doubles, each shard grows once and
their rebuilds are spread evenly over the doubling.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from itertools import accumulate
from typing import TypeVar, overload

V = TypeVar("V")
T = TypeVar("T")

SHARDS = 64
SLOT_MASK = 4095
"""``hash(key) & SLOT_MASK`` picks one of 4,096 slots; :data:`SHARD_OF` maps it to a shard."""


def _shard_of_slots() -> tuple[int, ...]:
    weights = [2 ** (i / SHARDS) for i in range(SHARDS)]
    total = sum(weights)
    ends = [round(end / total * (SLOT_MASK + 1)) for end in accumulate(weights)]
    shard_of: list[int] = []
    for shard, end in enumerate(ends):
        shard_of.extend([shard] * (end - len(shard_of)))
    return tuple(shard_of)


SHARD_OF = _shard_of_slots()
"""Slot -> shard: shard ``i`` holds about ``2 ** (i / SHARDS)`` parts of the keys."""
ONE_SHARD = (0,) * (SLOT_MASK + 1)
"""The same lookup for a caller whose map is one plain dict."""


class ShardedDict(MutableMapping[str, V]):
    """A ``dict[str, V]`` in :data:`SHARDS` parts (iteration order: by shard)."""

    __slots__ = ("_shards",)

    def __init__(self) -> None:
        self._shards: list[dict[str, V]] = [{} for _ in range(SHARDS)]

    @property
    def shards(self) -> list[dict[str, V]]:
        """The shards, for a caller that must not pay a method call per access: key
        ``k`` lives in ``shards[SHARD_OF[hash(k) & SLOT_MASK]]``."""
        return self._shards

    def __getitem__(self, key: str) -> V:
        return self._shards[SHARD_OF[hash(key) & SLOT_MASK]][key]

    @overload
    def get(self, key: str) -> V | None: ...
    @overload
    def get(self, key: str, default: V | T) -> V | T: ...

    def get(self, key: str, default: object = None) -> object:
        return self._shards[SHARD_OF[hash(key) & SLOT_MASK]].get(key, default)

    def __setitem__(self, key: str, value: V) -> None:
        self._shards[SHARD_OF[hash(key) & SLOT_MASK]][key] = value

    def __delitem__(self, key: str) -> None:
        del self._shards[SHARD_OF[hash(key) & SLOT_MASK]][key]

    def pop(self, key: str, *default: V | None) -> V | None:  # type: ignore[override]
        return self._shards[SHARD_OF[hash(key) & SLOT_MASK]].pop(key, *default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self._shards[SHARD_OF[hash(key) & SLOT_MASK]]

    def __iter__(self) -> Iterator[str]:
        for shard in self._shards:
            yield from shard

    def __len__(self) -> int:
        return sum(len(shard) for shard in self._shards)

    def clear(self) -> None:
        for shard in self._shards:
            shard.clear()
