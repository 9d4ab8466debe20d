"""``cxpulse broker``: topics as the contract names them, clean stop, data kept on restart."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from cxpulse.families import broker_topics
from tests.integration.conftest import cxpulse, free_port

pytestmark = pytest.mark.integration


def _start(port: int, data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(cxpulse("broker", "--port", str(port), "--data-dir", str(data_dir)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if "broker ready" in line:
            return proc
    pytest.fail("broker did not start:\n" + "".join(lines[-20:]))


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


async def _describe(bootstrap: str) -> tuple[dict[str, int], dict[str, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = await admin.list_topics()
        described: list[dict[str, Any]] = await admin.describe_topics(names)
        partitions = {t["topic"]: len(t["partitions"]) for t in described}
        changelog = "cxpulse-ticket-histories-changelog"
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, changelog)])
        entries = {c[0]: c[1] for c in configs[0].resources[0][4]}
        return partitions, entries
    finally:
        await admin.close()


async def _roundtrip(bootstrap: str, send: bytes | None) -> list[bytes]:
    if send is not None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("cx.deadletter", send, key=b"k")
        finally:
            await producer.stop()
    consumer = AIOKafkaConsumer("cx.deadletter", bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
        return [r.value for records in batch.values() for r in records if r.value]
    finally:
        await consumer.stop()


def _java_left(data_dir: Path) -> bool:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
    return str(data_dir) in ps.stdout


def test_broker_creates_topics_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    port = free_port(2)
    bootstrap = f"127.0.0.1:{port}"
    data_dir = tmp_path / "kafka"
    proc = _start(port, data_dir)
    try:
        partitions, changelog_config = asyncio.run(_describe(bootstrap))
        for topic in broker_topics():
            assert partitions[topic] == 6, topic
        assert partitions["cxpulse-ticket-histories-changelog"] == 6
        assert changelog_config["cleanup.policy"] == "compact"
        assert asyncio.run(_roundtrip(bootstrap, b"kept")) == [b"kept"]
    finally:
        assert _stop(proc) == 0
    assert not _java_left(data_dir)

    proc = _start(port, data_dir)
    try:
        assert asyncio.run(_roundtrip(bootstrap, None)) == [b"kept"]
    finally:
        assert _stop(proc) == 0
    assert not _java_left(data_dir)


def test_port_in_use_is_one_clear_line(broker: str) -> None:
    port = broker.rpartition(":")[2]
    done = subprocess.run(cxpulse("broker", "--port", port, "--data-dir", "/tmp/unused"),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"cxpulse: port {port} on 127.0.0.1 is in use")
    assert len(done.stderr.strip().splitlines()) == 1
