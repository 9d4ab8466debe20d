"""A worker recovers from changelogs an older version wrote.

Before 2026-12-07 a history record was a ``{"p", "h", "n", "b"}`` dict and a dedupe
digest a 16-character hex string. A worker replays the first half of the mixed
scenario and stops; every table record is written again in the old format, as the
last record of its key (what an older worker's changelog gives back after
compaction). A worker of today then recovers from them, replays the second half,
and every series equals the naive computation over the whole scenario.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from cxpulse.metrics_text import SampleKey
from tests.integration.conftest import Env, Worker
from tests.support import mixed_scenario
from tests.support.expected import expected_metrics
from tests.support.prom import mismatches, only
from tests.unit.test_record_format import SERIES, old_format

pytestmark = pytest.mark.integration

GAUGES = tuple(s for s in SERIES if s != "cx_sla_breaches")
"""Counters restart at zero in a new process."""


def old_chunk(chunk: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """A dedupe chunk with each digest as the hex string of its 8 bytes."""
    return {event_id: [entry[0], (int(entry[1]) % 2**64).to_bytes(8, "big").hex(), *entry[2:]]
            for event_id, entry in chunk.items()}


def downgraded(topic: str, key: bytes, value: Any) -> Any | None:
    """``value`` as the previous version wrote it, or None if its format did not change."""
    if topic.endswith("-histories-changelog") and isinstance(value, list):
        return old_format(value)
    if (topic.endswith("-dedupe-changelog") and isinstance(value, dict)
            and not orjson.loads(key).endswith(":")):
        return old_chunk(value)
    return None


async def rewrite_in_old_format(bootstrap: str, app_id: str) -> dict[str, int]:
    """Append each changelog key's last record again in the old format; per topic kind,
    the records rewritten."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await consumer.start()
    await producer.start()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            topics = [t for t in await admin.list_topics()
                      if t.startswith(app_id + "-") and t.endswith("-changelog")]
            described = await admin.describe_topics(topics)
        finally:
            await admin.close()
        parts = [TopicPartition(d["topic"], p["partition"]) for d in described
                 for p in d["partitions"]]
        assert parts, "no changelog partitions found"
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        last: dict[tuple[TopicPartition, bytes], bytes | None] = {}
        while [tp for tp in parts if await consumer.position(tp) < ends[tp]]:
            for tp, records in (await consumer.getmany(timeout_ms=1000)).items():
                for record in records:
                    last[(tp, record.key)] = record.value
        rewritten = {"histories": 0, "dedupe": 0}
        for (tp, key), value in last.items():
            if value is None:
                continue
            old = downgraded(tp.topic, key, orjson.loads(value))
            if old is not None:
                await producer.send(tp.topic, orjson.dumps(old), key=key, partition=tp.partition)
                rewritten["histories" if "-histories-" in tp.topic else "dedupe"] += 1
        await producer.flush()
        return rewritten
    finally:
        await consumer.stop()
        await producer.stop()


def _publish(env: Env, lines: list[bytes], path: Path) -> None:
    path.write_bytes(b"\n".join(lines) + b"\n")
    published = env.run("publish", str(path))
    assert published.returncode == 0, published.stderr


def test_a_worker_recovers_from_records_in_the_previous_format(
        cx_env: Env, start_worker: Callable[[Env], Worker], tmp_path: Path) -> None:
    s = mixed_scenario.build()
    half = len(s.lines) // 2
    first_ids = set()
    for line in s.lines[:half]:
        with contextlib.suppress(orjson.JSONDecodeError, KeyError, TypeError):
            first_ids.add(orjson.loads(line)["id"])
    first_valid = sum(1 for e in s.valid if e["id"] in first_ids)
    _publish(cx_env, s.lines[:half], tmp_path / "first.jsonl")

    def accepted(samples: dict[SampleKey, float]) -> float:
        return sum(v for (name, _), v in samples.items() if name == "cx_events_total")

    older = start_worker(cx_env)
    older.wait_for(lambda m: accepted(m) >= first_valid, timeout=300)
    older.stop()

    rewritten = asyncio.run(rewrite_in_old_format(cx_env.bootstrap, cx_env.vars["CXPULSE_APP_ID"]))
    assert rewritten["histories"] > 1000 and rewritten["dedupe"] > 10, rewritten

    _publish(cx_env, s.lines[half:], tmp_path / "second.jsonl")
    expected = only(expected_metrics(s), GAUGES)
    upgraded = start_worker(cx_env)
    upgraded.wait_for(lambda m: not mismatches(only(m, GAUGES), expected), timeout=300,
                      explain=lambda m: "\n".join(mismatches(only(m, GAUGES), expected)[:15]))
