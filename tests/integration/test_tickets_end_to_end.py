"""Tickets end to end on the real broker: publish, replay, scrape, compare, kill, recover."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from cxpulse.streams.deadletter import HEADER_OFFSET, HEADER_PARTITION, HEADER_REASON, HEADER_TOPIC
from tests.integration.conftest import Env, Worker
from tests.reference.tickets_naive import expected_ticket_metrics
from tests.support import scenario
from tests.support.prom import TICKET_FAMILIES, SampleKey, mismatches, only

pytestmark = pytest.mark.integration

TICKETS = (("topic", "cx.tickets"),)
RAW_GARBAGE = [(b"T-garbage", b"\x00\xff not json"),
               (b"T-unknown", b'{"specversion":"1.0","id":"u1","source":"s","type":"ticket.'
                              b'merged","time":"2026-11-22T06:00:00Z","data":{}}')]


async def _produce_raw(env: Env) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap)
    await producer.start()
    try:
        for key, value in RAW_GARBAGE:
            await producer.send_and_wait(env.prefix + "cx.tickets", value, key=key)
    finally:
        await producer.stop()


async def _read_deadletters(env: Env, expected: int) -> list[dict[str, str]]:
    consumer = AIOKafkaConsumer(env.prefix + "cx.deadletter", bootstrap_servers=env.bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    out: list[dict[str, str]] = []
    try:
        async with asyncio.timeout(60):
            while len(out) < expected:
                batch = await consumer.getmany(timeout_ms=1000)
                for records in batch.values():
                    for r in records:
                        headers = {k: v.decode() for k, v in r.headers}
                        headers["value"] = (r.value or b"").decode(errors="replace")
                        out.append(headers)
    finally:
        await consumer.stop()
    return out


def _watermark(samples: dict[SampleKey, float]) -> float | None:
    return samples.get(("cx_watermark_seconds", TICKETS))


def _accepted(samples: dict[SampleKey, float]) -> float:
    return sum(v for (name, labels), v in samples.items()
               if name == "cx_events_total" and dict(labels).get("topic") == "cx.tickets")


def test_tickets_replayed_through_kafka_match_the_naive_computation(
        cx_env: Env, start_worker: type[Worker], tmp_path: Path) -> None:
    s = scenario.build()
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(b"\n".join(s.lines) + b"\n")

    published = cx_env.run("publish", str(path))
    assert published.returncode == 0, published.stderr
    reported = [int(n) for n in re.findall(r":(\d+): skipped", published.stderr)]
    assert reported == s.unroutable_lines
    total_routable = len(s.lines) - len(s.unroutable_lines)
    assert f"published {total_routable} events" in published.stderr
    asyncio.run(_produce_raw(cx_env))

    now = s.watermark()
    worker = start_worker(cx_env)
    first = worker.wait_for(lambda m: _watermark(m) == now and _accepted(m) == len(s.valid))

    expected = expected_ticket_metrics(s.valid, now)
    first = worker.settle(lambda m: mismatches(only(m, TICKET_FAMILIES), expected))

    counters = only(first, ("cx_events",))
    types = {e["type"] for e in s.valid}
    for t in types:
        want = sum(1 for e in s.valid if e["type"] == t)
        assert counters[("cx_events_total", (("event_type", t), *TICKETS))] == want
    assert counters[("cx_events_duplicate_total", TICKETS)] == s.duplicates
    assert counters[("cx_events_late_total", TICKETS)] == 1
    rejected = {dict(k[1])["reason"]: v for k, v in counters.items()
                if k[0] == "cx_events_rejected_total"}
    assert rejected == {**{k: float(v) for k, v in s.rejected.items()},
                        "invalid_json": 1.0, "unknown_type": 1.0}

    letters = asyncio.run(_read_deadletters(cx_env, sum(s.rejected.values()) + 2))
    assert sorted(d[HEADER_REASON].split(":")[0] for d in letters) == sorted(
        ["invalid_json", "unknown_type", *[r for r, n in s.rejected.items() for _ in range(n)]])
    assert all(d[HEADER_TOPIC] == cx_env.prefix + "cx.tickets" for d in letters)
    assert all(d[HEADER_PARTITION].isdigit() and d[HEADER_OFFSET].isdigit() for d in letters)
    assert any(d["value"] == "\x00\ufffd not json" for d in letters)

    # SIGKILL, restart: every gauge comes back from the changelogs. Counters restart at 0.
    worker.kill()
    restarted = start_worker(cx_env)
    recovered = tuple(f for f in TICKET_FAMILIES if f != "cx_sla_breaches")
    gauges = only(first, recovered)
    second = restarted.wait_for(
        lambda m: _watermark(m) == now and not mismatches(only(m, recovered), gauges),
        timeout=240)
    # Events after the last committed offset are read again; histories are keyed by
    # event id, so the numbers above cannot count them twice.
    assert not mismatches(only(second, recovered), gauges)
