"""``cxpulse deadletters`` on the real broker: list, --json, --republish --rekey."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.integration.conftest import Env, Worker

TRACE = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
OPENED = orjson.dumps({"specversion": "1.0", "id": "e-1", "source": "helpdesk",
                       "type": "ticket.opened", "time": "2026-11-22T10:15:03Z",
                       "data": {"ticket_id": "T-1", "customer_id": "C-9", "channel": "email",
                                "priority": "high"}})
ANSWERED = b'{"contact_id": "K-7", "agent_id": "A-2"}'
BINARY = [("ce_specversion", b"1.0"), ("ce_id", b"e-2"), ("ce_type", b"contact.answered"),
          ("ce_source", b"acd"), ("ce_time", b"2026-11-22T10:16:00Z"),
          ("content-type", b"application/json")]


def _cx(env: Env, topic: str, partition: int, offset: int, reason: str) -> list[tuple[str, bytes]]:
    return [("cxpulse-source-topic", (env.prefix + topic).encode()),
            ("cxpulse-source-partition", str(partition).encode()),
            ("cxpulse-source-offset", str(offset).encode()),
            ("cxpulse-reason", reason.encode())]


def _letters(env: Env) -> list[tuple[bytes | None, bytes, list[tuple[str, bytes]]]]:
    """Key, value, headers of the dead letters, in order (all on partition 0)."""
    return [
        (b"wrong", OPENED, [("traceparent", TRACE), *_cx(env, "cx.tickets", 4, 10, "wrong_key")]),
        (b"bad", ANSWERED, [("traceparent", TRACE), *BINARY,
                            *_cx(env, "cx.contacts", 1, 20, "wrong_key")]),
        (b"x", b'{"type": "ticket.merged", "data": {}}',
         _cx(env, "cx.tickets", 4, 11, "wrong_key")),
        (b"src", b'{"type": "cost.recorded"}',
         _cx(env, "cx.costs", 0, 30, "out_of_range:data.amount")),
        (None, b"\xff{", _cx(env, "cx.tickets", 2, 12, "invalid_json")),
    ]


async def _produce(env: Env) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap, acks="all")
    await producer.start()
    try:
        for key, value, headers in _letters(env):
            await producer.send_and_wait(env.prefix + "cx.deadletter", value, key=key,
                                         headers=headers, partition=0)
    finally:
        await producer.stop()


async def _read(env: Env, topic: str) -> list[Any]:
    """Every record of a source topic (key, value, headers)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=env.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(env.prefix + topic, p) for p in range(6)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        out: list[Any] = []
        while any([await consumer.position(tp) < end[tp] for tp in tps]):
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                out.extend((r.key, r.value, list(r.headers)) for r in records)
        return out
    finally:
        await consumer.stop()


def test_list_json_and_republish_with_rekey(cx_env: Env) -> None:
    asyncio.run(_produce(cx_env))
    dlq = cx_env.prefix + "cx.deadletter"

    listed = cx_env.run("deadletters")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{dlq}: 5 dead letters",
        "by reason kind:",
        "         3  wrong_key",
        "         1  invalid_json",
        "         1  out_of_range",
        "by reason (first dead-letter partition:offset):",
        "         3  wrong_key  (0:0, 0:1, 0:2)",
        "         1  invalid_json  (0:4)",
        "         1  out_of_range:data.amount  (0:3)",
        "by source topic:",
        f"         3  {cx_env.prefix}cx.tickets",
        f"         1  {cx_env.prefix}cx.contacts",
        f"         1  {cx_env.prefix}cx.costs",
    ]

    as_json = cx_env.run("deadletters", "--json")
    assert as_json.returncode == 0, as_json.stderr
    lines = [orjson.loads(line) for line in as_json.stdout.splitlines()]
    assert [(d["reason"], d["source_partition"], d["source_offset"]) for d in lines] == [
        ("wrong_key", 4, 10), ("wrong_key", 1, 20), ("wrong_key", 4, 11),
        ("out_of_range:data.amount", 0, 30), ("invalid_json", 2, 12)]
    assert lines[0]["key"] == "wrong" and lines[0]["value"] == OPENED.decode()
    assert lines[0]["headers"][0] == {"name": "traceparent", "value": TRACE.decode()}
    assert lines[4]["key"] is None and lines[4]["value_base64"] == "/3s="
    assert lines[4]["source_topic"] == cx_env.prefix + "cx.tickets"

    sent = cx_env.run("deadletters", "--republish", "--reason", "wrong_key", "--rekey")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.splitlines() == ["re-published 2 of 3 chosen dead letters",
                                        "         2  wrong_key"]
    assert f"{dlq}:0:2: skipped: cannot re-key: unknown type 'ticket.merged'" in sent.stderr

    tickets = asyncio.run(_read(cx_env, "cx.tickets"))
    assert tickets == [(b"T-1", OPENED, [("traceparent", TRACE),
                                         ("cxpulse-republished-from", f"{dlq}:0:0".encode())])]
    contacts = asyncio.run(_read(cx_env, "cx.contacts"))
    assert contacts == [(b"K-7", ANSWERED, [("traceparent", TRACE), *BINARY,
                                            ("cxpulse-republished-from", f"{dlq}:0:1".encode())])]
    assert asyncio.run(_read(cx_env, "cx.costs")) == []

    # Filters narrow the listing too; the dead letters themselves stay where they were.
    costs = cx_env.run("deadletters", "--source-topic", "cx.costs", "--json")
    assert [orjson.loads(line)["deadletter_offset"] for line in costs.stdout.splitlines()] == [3]
    again = cx_env.run("deadletters", "--reason", "wrong_key", "--limit", "1", "--json")
    assert [orjson.loads(line)["deadletter_offset"] for line in again.stdout.splitlines()] == [0]


async def _produce_bad_event(env: Env) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(env.prefix + "cx.tickets", b"not json", key=b"T-9",
                                     headers=[("traceparent", TRACE), ("tenant", b"\xffa")])
    finally:
        await producer.stop()


def test_the_worker_keeps_original_headers_in_its_dead_letters(
        cx_env: Env, start_worker: Callable[[Env], Worker]) -> None:
    asyncio.run(_produce_bad_event(cx_env))
    worker = start_worker(cx_env)
    worker.wait_for(lambda m: sum(v for (name, _), v in m.items()
                                  if name == "cx_events_rejected_total") == 1)
    listed = cx_env.run("deadletters", "--json")
    assert listed.returncode == 0, listed.stderr
    (letter,) = [orjson.loads(line) for line in listed.stdout.splitlines()]
    assert letter["key"] == "T-9" and letter["value"] == "not json"
    assert letter["reason"] == "invalid_json"
    assert letter["source_topic"] == cx_env.prefix + "cx.tickets"
    assert [h["name"] for h in letter["headers"]] == [
        "traceparent", "tenant", "cxpulse-source-topic", "cxpulse-source-partition",
        "cxpulse-source-offset", "cxpulse-reason"]
    assert letter["headers"][0]["value"] == TRACE.decode()
    assert letter["headers"][1]["value_base64"] == "/2E="
