"""Dedupe ids in chunks: few changelog records per batch, same answers as one id each."""

from __future__ import annotations

from typing import Any

import orjson

from cxpulse.core.admission import CHUNK_BATCHES, CHUNK_IDS, Admission, IngestStats
from cxpulse.schemas.events import Event, Rejection
from cxpulse.streams.changelog import DeferredChangelog
from tests.support.scenario import ev
from tests.unit.test_deferred_changelog import RecordingTable

T0 = 1_795_300_000.0
HORIZON = 3600.0


def survey(event_id: str, t: float, score: int = 4) -> bytes:
    return orjson.dumps(ev(event_id, "survey.answered", t, survey="csat", score=score,
                           customer_id="C", channel="web"))


def admission(seen: Any) -> Admission:
    return Admission("cx.surveys", IngestStats(), seen, replay_clock=True,
                     dedupe_horizon=HORIZON)


async def test_a_batch_of_ids_is_a_few_chunk_records_not_one_per_event() -> None:
    table = RecordingTable()
    seen = DeferredChangelog(table)
    gate = admission(seen)
    for n in range(1200):  # one batch, 2 partitions, a second apart
        seen.partition = n % 2
        assert isinstance(gate.admit(survey(f"e{n}", T0 + n), n % 2), Event)
    sent = await seen.flush()
    per_partition = -(-600 // CHUNK_IDS)
    assert sent == 2 * per_partition == len(table.sent)
    assert sum(len(value) for _, _, value, _ in table.sent) == 1200
    assert {partition for partition, *_ in table.sent} == {0, 1}


async def test_small_batches_rewrite_a_chunk_a_few_times_not_until_it_is_full() -> None:
    """A live worker's batches bring a few ids per partition; each batch sends its
    partition's open chunk whole."""
    table = RecordingTable()
    seen = DeferredChangelog(table)
    gate = admission(seen)
    per_batch, batches = 10, 100
    for b in range(batches):
        for n in range(b * per_batch, (b + 1) * per_batch):
            assert isinstance(gate.admit(survey(f"e{n}", T0 + n), 0), Event)
        gate.end_batch()
        await seen.flush()
    chunks = [value for _, key, value, _ in table.sent if key != "0:"]
    ids_sent = sum(len(value) for value in chunks)
    # Each chunk is sent after each of its batches: 10, 20, 30, 40 ids.
    per_chunk = sum(per_batch * k for k in range(1, CHUNK_BATCHES + 1))
    assert ids_sent == batches // CHUNK_BATCHES * per_chunk == 2500
    final = {key: value for _, key, value, _ in table.sent if key != "0:"}
    assert sum(len(chunk) for chunk in final.values()) == per_batch * batches
    recovered = admission(dict(seen.data))  # the last record of every chunk
    recovered.rebuild({0})
    for gate_ in (gate, recovered):
        assert isinstance(gate_.admit(survey("e517", T0 + 517), 0), Event)
        assert gate_.stats.duplicate["cx.surveys"] == 1


def test_redeliveries_and_reused_ids_are_known_again_after_a_rebuild() -> None:
    seen: dict[str, Any] = {}
    live = admission(seen)
    for n in range(1500):
        live.admit(survey(f"e{n}", T0 + n), n % 3)
    recovered = admission(dict(seen))
    recovered.rebuild({0, 1, 2})
    assert recovered.watermark.partition_max == live.watermark.partition_max
    for gate in (live, recovered):
        assert isinstance(gate.admit(survey("e7", T0 + 7), 1), Event)  # a redelivery
        assert gate.stats.duplicate["cx.surveys"] == 1
        reused = gate.admit(survey("e8", T0 + 8, score=1), 2)
        assert isinstance(reused, Rejection) and reused.kind == "reused_id"


def test_chunks_written_with_hex_digests_still_tell_redeliveries_from_reused_ids() -> None:
    """Before 2026-12-07 a digest was the hex string of the same 8 bytes."""
    seen: dict[str, Any] = {}
    live = admission(seen)
    for n in range(50):
        live.admit(survey(f"e{n}", T0 + n), 0)
    old = {key: {event_id: [entry[0], (entry[1] % 2**64).to_bytes(8, "big").hex(), *entry[2:]]
                 for event_id, entry in chunk.items()}
           for key, chunk in seen.items() if key != "0:"}
    assert all(type(e[1]) is str and len(e[1]) == 16 for c in old.values() for e in c.values())
    recovered = admission(orjson.loads(orjson.dumps(old)))
    recovered.rebuild({0})
    assert isinstance(recovered.admit(survey("e7", T0 + 7), 0), Event)
    assert recovered.stats.duplicate["cx.surveys"] == 1
    reused = recovered.admit(survey("e8", T0 + 8, score=1), 0)
    assert isinstance(reused, Rejection) and reused.kind == "reused_id"


def test_an_id_past_the_horizon_is_new_again_and_old_chunks_go() -> None:
    seen: dict[str, Any] = {}
    gate = admission(seen)
    gate.admit(survey("x", T0), 0)
    for n in range(1, 40):  # two horizons of traffic on the same partition
        gate.admit(survey(f"e{n}", T0 + n * 200), 0)
        gate.expire(0)
    assert "0:x" not in seen  # the first chunk expired whole
    assert isinstance(gate.admit(survey("x", T0 + 40 * 200, score=2), 0), Event)
    assert gate.stats.accepted[("cx.surveys", "survey.answered")] == 41
    kept = [t for chunk in seen.values() for t, _ in chunk.values()]
    assert min(kept) >= T0 + 40 * 200 - 1.25 * HORIZON - 200  # ~1.25 horizons of ids


def test_an_id_past_the_horizon_in_a_kept_chunk_counts_as_forgotten() -> None:
    seen: dict[str, Any] = {}
    gate = admission(seen)
    gate.admit(survey("x", T0), 0)
    for n in range(1, 20):  # x's chunk also takes these: it lives past x's horizon
        gate.admit(survey(f"e{n}", T0 + n * 40), 0)
    gate.admit(survey("late", T0 + HORIZON + 100), 0)
    gate.expire(0)
    assert "0:x" in seen
    again = gate.admit(survey("x", T0 + HORIZON + 100, score=1), 0)  # new: no reused_id
    assert isinstance(again, Event)
    holders = [key for key, chunk in seen.items() if "x" in chunk]
    assert len(holders) == 2
    recovered = admission(dict(seen))
    recovered.rebuild({0})
    duplicate = recovered.admit(survey("x", T0 + HORIZON + 100, score=1), 0)
    assert isinstance(duplicate, Event) and recovered.stats.duplicate["cx.surveys"] == 1


def test_a_re_read_id_past_the_horizon_opens_a_new_chunk_not_the_old_one() -> None:
    """After a restart, events since the last commit are read again; in a fast replay
    the first of them can be a horizon behind the watermark already. The chunk it
    opened before must survive, or the other ids in it would be lost."""
    seen: dict[str, Any] = {}
    gate = admission(seen)
    gate.admit(survey("x", T0), 0)
    for n in range(1, 20):
        gate.admit(survey(f"e{n}", T0 + n * 40), 0)
    gate.admit(survey("far", T0 + HORIZON + 100), 0)
    restarted = admission(seen)
    restarted.rebuild({0})
    assert isinstance(restarted.admit(survey("x", T0), 0), Event)  # forgotten: new
    assert "0:x" in seen and "0:x+" in seen and len(seen["0:x"]) == 20
    for n in range(1, 20):
        assert isinstance(restarted.admit(survey(f"e{n}", T0 + n * 40), 0), Event)
    within = [n for n in range(1, 20) if n * 40 + HORIZON >= HORIZON + 100]  # the rest: past
    assert restarted.stats.duplicate["cx.surveys"] == len(within) == 17


def test_a_late_events_redelivery_is_a_duplicate_and_survives_a_rebuild() -> None:
    seen: dict[str, Any] = {}
    gate = admission(seen)
    for n in range(10):
        gate.admit(survey(f"e{n}", T0 + n * 600), 0)
    old = T0 - 50 * HORIZON  # 50 h behind the watermark
    assert isinstance(gate.admit(survey("old", old), 0), Event)
    recovered = admission(dict(seen))
    recovered.rebuild({0})
    assert recovered.watermark.partition_max == gate.watermark.partition_max
    for g in (gate, recovered):
        assert isinstance(g.admit(survey("old", old), 0), Event)
        assert g.stats.duplicate["cx.surveys"] == 1
    assert gate.stats.accepted[("cx.surveys", "survey.answered")] == 11
    for n in range(10, 20):  # a horizon and more after the watermark it came at: forgotten
        gate.admit(survey(f"e{n}", T0 + n * 600), 0)
        gate.expire(0)
    assert isinstance(gate.admit(survey("old", old), 0), Event)
    assert gate.stats.accepted[("cx.surveys", "survey.answered")] == 22
