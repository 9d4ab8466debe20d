"""The read-again of skipped offsets on the real broker, transaction markers included."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from cxpulse.config import Settings
from cxpulse.streams.gap_repair import GapReader
from tests.integration.conftest import Env

pytestmark = pytest.mark.integration


async def _transactions(env: Env, topic: str) -> None:
    """Two transactions of five records each: offsets 0-4, a marker at 5, 6-10, a marker
    at 11 (the end of the log)."""
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap, transactional_id="gap-test")
    await producer.start()
    try:
        for t in range(2):
            async with producer.transaction():
                for n in range(5):
                    await producer.send(topic, f"{t}-{n}".encode(), partition=0)
    finally:
        await producer.stop()


def test_skipped_ranges_are_read_with_their_records_and_without_the_markers(
        cx_env: Env) -> None:
    topic = cx_env.prefix + "cx.tickets"
    asyncio.run(_transactions(cx_env, topic))
    reader = GapReader(Settings(kafka_bootstrap=cx_env.bootstrap), topic)

    async def reads() -> list[list[int] | None]:
        ranges = [(3, 7), (5, 5), (10, 11), (11, 11)]
        try:
            found = [await reader.read(0, lo, hi) for lo, hi in ranges]
        finally:
            await reader.close()
        return [None if records is None else [r.offset for r in records] for records in found]

    # 5 is the first marker; 11 the final one, at the end of the log.
    assert asyncio.run(reads()) == [[3, 4, 6, 7], [], [10], []]
