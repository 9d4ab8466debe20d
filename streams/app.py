"""The Faust app: one per worker process, configured from :class:`Settings`."""

from __future__ import annotations

import faust

from cxpulse.config import Settings
from cxpulse.streams.store import SCHEME


def create_app(settings: Settings) -> faust.App:
    """A Faust app whose tables are changelog-backed and co-partitioned with the topics.

    Tables use the in-memory store: a (re)started worker rebuilds them from their
    changelog topics, which Kafka keeps compacted. After a rebalance, a partition the
    worker kept is read only from where its data already is (streams/store.py).
    """
    return faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        broker_credentials=settings.kafka_security.faust_credentials(),
        store=f"{SCHEME}://",
        datadir=str(settings.data_dir),
        topic_partitions=settings.partitions,
        # Changelogs hold all state: 3 replicas in production (CXPULSE_REPLICATION_FACTOR).
        topic_replication_factor=settings.replication_factor,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        # Faust's web server would serve its table browser (any key's value, no auth)
        # on CXPULSE_WEB_PORT; nothing in cxpulse uses it, so it never starts. The only
        # HTTP surface is /metrics, /healthz and the live page (cxpulse/exporter.py).
        web_enabled=False,
        # One Kafka consumer group per app id: workers with the same id split partitions.
        broker_commit_interval=1.0,
        # aiokafka keeps one batch per partition and one request in flight per broker: a
        # send into a full batch waits for the request before it. With 16 KiB batches a
        # flush of one fetch's changelog writes took several round trips (at 5,500 new
        # tickets/s, half the agent's time); 256 KiB stays well under the broker's
        # 1 MiB message limit.
        producer_max_batch_size=262_144,
        # A killed worker's group membership lapses after this, so its restart is quick.
        broker_session_timeout=10.0,
        # Static membership where the deployment gives each worker a stable id (a
        # StatefulSet's pod name): its restart skips that wait and the rebalance.
        consumer_group_instance_id=settings.instance_id,
        broker_heartbeat_interval=2.0,
        # A topic that appears after the group formed (our own internal ones, created at
        # start-up while the consumer subscribes, on a loaded machine) is assigned at the
        # next metadata refresh: within 30 s rather than Faust's 5 min. Until then no
        # worker owns the team samples, so no quantile is exported.
        consumer_metadata_max_age_ms=30_000,
    )


def json_table_schema() -> faust.Schema:  # type: ignore[type-arg]
    """Table keys and values as JSON (orjson): lists and dicts, no model classes."""
    return faust.Schema(key_serializer="json", value_serializer="json")


def assigned_partitions(app: faust.App, topic: str) -> set[int]:
    """Partitions of ``topic`` (its full name) this worker owns now."""
    return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
