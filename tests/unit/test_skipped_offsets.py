"""Offsets a consumer skipped count once when read again, and nothing else counts twice."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.offsets import AppliedOffsets
from cxpulse.schemas.events import Event
from tests.support.scenario import ev

T0 = 1_795_300_000.0


@given(st.lists(st.integers(0, 60), min_size=1, max_size=80))
def test_every_offset_from_the_first_counts_once_in_any_delivery_order(
        delivered: list[int]) -> None:
    offsets = AppliedOffsets()
    counted = [o for o in delivered if offsets.note(3, o)]
    first = delivered[0]
    assert sorted(counted) == sorted({o for o in delivered if o >= first})
    # What is still missing is exactly what lies between and was never delivered.
    missing = {o for lo, hi in offsets.missing.get(3, []) for o in range(lo, hi + 1)}
    assert missing == set(range(first, max(delivered) + 1)) - set(delivered)
    restored = AppliedOffsets()
    restored.load(3, offsets.record(3))
    assert (restored.applied, restored.missing) == (offsets.applied, offsets.missing)


def test_clearing_a_range_forgets_only_its_offsets() -> None:
    offsets = AppliedOffsets()
    for o in (10, 20, 30):
        offsets.note(0, o)
    assert offsets.missing[0] == [(11, 19), (21, 29)]
    offsets.clear(0, 15, 24)
    assert offsets.missing[0] == [(11, 14), (25, 29)]
    offsets.clear(0, 0, 100)
    assert 0 not in offsets.missing
    assert offsets.record(0) == [30]


def opened(n: int) -> bytes:
    return orjson.dumps(ev(f"e-{n}", "ticket.opened", T0 + n, ticket_id=f"T-{n}",
                           customer_id="C", channel="email", priority="high"))


def gate(seen: dict[str, Any], stats: IngestStats) -> Admission:
    return Admission("cx.tickets", stats, seen, replay_clock=True, dedupe_horizon=3600.0)


def test_a_skipped_message_read_later_counts_once_even_across_a_restart() -> None:
    seen: dict[str, Any] = {}
    stats = IngestStats()
    g = gate(seen, stats)
    for n in (0, 1, 2, 4, 5):  # the consumer skipped offset 3 and 6..8
        g.admit(opened(n), 1, offset=n)
    g.admit(opened(9), 1, offset=9)
    assert "1:" not in seen  # written once per batch
    g.end_batch()
    assert seen["1:"] == [9, 3, 3, 6, 8]
    assert g.offsets.missing[1] == [(3, 3), (6, 8)]
    assert sum(stats.accepted.values()) == 6

    restarted_stats = IngestStats()
    restarted = gate(dict(seen), restarted_stats)
    restarted.rebuild({1})
    assert restarted.offsets.missing[1] == [(3, 3), (6, 8)]
    for n in (0, 1, 2, 3, 4, 5, 9):  # read again from offset 0; 6..8 hold no record
        assert isinstance(restarted.admit(opened(n), 1, offset=n), Event)
    assert sum(restarted_stats.accepted.values()) == 1  # offset 3, the skipped one
    assert restarted_stats.duplicate == {}
    restarted.offsets.clear(1, 6, 8)  # what a read of 6..8 that found nothing does
    restarted.save_offsets(1)
    assert restarted.seen["1:"] == [9]
