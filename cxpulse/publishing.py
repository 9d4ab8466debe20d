"""Putting events on Kafka: recorded JSONL files and live simulated traffic.

Each event goes to its type's topic (SPEC §1) keyed by the entity id, with
Kafka's default (murmur2) partitioner, as upstream producers are asked to do.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from tqdm import tqdm

from cxpulse.addresses import any_server_listens
from cxpulse.config import ConfigError, Settings
from cxpulse.schemas.contract import CONTRACTS
from cxpulse.simulate.mixed import MixedTraffic


@dataclass(frozen=True, slots=True)
class Routed:
    """A message ready to send."""

    topic: str
    key: bytes
    value: bytes


def route(line: bytes, settings: Settings) -> Routed | str:
    """Topic and key for one JSONL line, or why it cannot be routed.

    Only routing is checked here (JSON object, known ``type``, entity id present):
    everything else is the worker's job, so a bad event still reaches the
    dead-letter topic with the worker's reason.
    """
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError:
        return "not valid JSON"
    if not isinstance(doc, dict):
        return "not a JSON object"
    contract = CONTRACTS.get(doc.get("type"))  # type: ignore[arg-type]
    if contract is None:
        return f"unknown type {doc.get('type')!r}"
    data = doc.get("data")
    if not isinstance(data, dict) or not isinstance(data.get(contract.key_field), str):
        return f"no data.{contract.key_field} to key the message by"
    return Routed(settings.topic(contract.topic), data[contract.key_field].encode(),
                  line.strip())


def make_producer(settings: Settings) -> AIOKafkaProducer:
    """A producer with the Kafka security settings (acks=all, idempotent)."""
    return AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all",
                            linger_ms=20, max_batch_size=256 * 1024, enable_idempotence=True,
                            **settings.kafka_security.aiokafka_kwargs())


async def start_client(client: AIOKafkaProducer | AIOKafkaConsumer, settings: Settings) -> None:
    """Connect a producer or consumer, or stop with one line saying what to do."""
    try:
        await client.start()
    except KafkaConnectionError:
        await client.stop()
        if not any_server_listens(settings.kafka_bootstrap):
            raise ConfigError(f"cannot reach Kafka at CXPULSE_KAFKA_BOOTSTRAP="
                              f"{settings.kafka_bootstrap}: start a broker (cxpulse broker) or "
                              "fix the address") from None
        # aiokafka reports a failed SASL or TLS handshake as a failed bootstrap.
        raise ConfigError(f"cannot authenticate to Kafka at CXPULSE_KAFKA_BOOTSTRAP="
                          f"{settings.kafka_bootstrap}: it accepts connections but not this "
                          "client; check CXPULSE_KAFKA_SECURITY_PROTOCOL, the SASL user and "
                          "password and the TLS files") from None


async def _send_all(producer: AIOKafkaProducer, messages: Iterable[Routed]) -> int:
    """Send with a bounded number of in-flight futures; return how many were sent."""
    pending: list[asyncio.Future[Any]] = []
    sent = 0
    for m in messages:
        pending.append(await producer.send(m.topic, m.value, key=m.key))
        sent += 1
        if len(pending) >= 10_000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    return sent


async def publish_file(path: Path, settings: Settings, progress: bool = True) -> tuple[int, int]:
    """Publish every routable line of a JSONL file; return (published, skipped)."""
    skipped = 0

    def routed_lines() -> Iterable[Routed]:
        nonlocal skipped
        with path.open("rb") as fh, tqdm(total=path.stat().st_size, unit="B", unit_scale=True,
                                         desc=f"publish {path.name}", disable=not progress,
                                         file=sys.stderr) as bar:
            for number, line in enumerate(fh, start=1):
                bar.update(len(line))
                if not line.strip():
                    continue
                result = route(line, settings)
                if isinstance(result, str):
                    skipped += 1
                    bar.write(f"{path}:{number}: skipped: {result}", file=sys.stderr)
                else:
                    yield result

    producer = make_producer(settings)
    await start_client(producer, settings)
    try:
        published = await _send_all(producer, routed_lines())
    finally:
        await producer.stop()
    return published, skipped


def _routed(events: Iterable[dict[str, Any]], settings: Settings) -> Iterable[Routed]:
    for event in events:
        result = route(orjson.dumps(event), settings)
        assert not isinstance(result, str), result  # the simulator only makes routable events
        yield result


async def publish_live(traffic: MixedTraffic, settings: Settings, duration: float | None,
                       backfill: float = 0.0, progress: bool = True) -> int:
    """Publish simulated traffic in real time (event time = wall clock).

    ``backfill`` seconds of history are simulated and sent at once first, so the
    windows are full from the start; those entities then go on living in real time.
    """
    producer = make_producer(settings)
    await start_client(producer, settings)
    heap: list[tuple[float, int, dict[str, Any]]] = []
    order = itertools.count()  # ties in time keep generation order
    sent = 0
    start = time.time()
    last = start - backfill
    try:
        with tqdm(unit=" events", desc="simulate", disable=not progress, file=sys.stderr) as bar:
            while duration is None or last - start < duration:
                await asyncio.sleep(0.25)
                now = time.time()
                for due, event in traffic.timed(last, now):
                    heapq.heappush(heap, (due, next(order), event))
                last = now
                due_events = []
                while heap and heap[0][0] <= now:
                    due_events.append(heapq.heappop(heap)[2])
                n = await _send_all(producer, _routed(due_events, settings))
                sent += n
                bar.update(n)
    finally:
        await producer.stop()
    return sent

