"""ShardedDict: a dict's behaviour, with its shards growing one at a time."""

from __future__ import annotations

from cxpulse.core.sharded import SHARD_OF, SHARDS, SLOT_MASK, ShardedDict

GROWS_AT = 2730
"""A dict of 4,096 slots grows when its 2,731st key arrives (2/3 full)."""


def test_it_behaves_as_a_dict() -> None:
    sharded: ShardedDict[int] = ShardedDict()
    plain: dict[str, int] = {}
    for n in range(5000):
        for mapping in (sharded, plain):
            mapping[f"k{n}"] = n
            if n % 3 == 0:
                del mapping[f"k{n // 2}"]
    assert dict(sharded.items()) == plain and len(sharded) == len(plain)
    assert sharded.get("k4999") == 4999 and sharded.pop("k4998") == 4998
    assert "k4998" not in sharded and sharded.get("missing", -1) == -1
    key = "k4997"
    assert key in sharded.shards[SHARD_OF[hash(key) & SLOT_MASK]]


def test_its_shards_grow_at_different_sizes_of_the_whole() -> None:
    """Equal shards would all grow within a few hundred inserts of each other (one
    big stall in 64 pieces); these grow spread over a doubling of the whole."""
    sharded: ShardedDict[int] = ShardedDict()
    grew_at: dict[int, int] = {}
    n = 0
    while len(grew_at) < SHARDS:
        key = f"ticket-{n}"
        sharded[key] = n
        n += 1
        shard = SHARD_OF[hash(key) & SLOT_MASK]
        if shard not in grew_at and len(sharded.shards[shard]) > GROWS_AT:
            grew_at[shard] = n
    first, last = min(grew_at.values()), max(grew_at.values())
    assert last / first > 1.7
    # At most a few shards grow within any 1/32 of that span.
    step = (last - first) / 32
    for k in range(32):
        lo = first + k * step
        assert sum(lo <= at < lo + step for at in grew_at.values()) <= 6
