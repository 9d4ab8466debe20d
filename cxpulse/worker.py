"""A worker: the Faust app with every agent, and the metrics endpoint."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import faust

from cxpulse.addresses import any_server_listens
from cxpulse.agents.team_quantiles import TeamQuantileAgent
from cxpulse.collector_guard import CollectorGuard
from cxpulse.collectors.ingest import IngestCollector
from cxpulse.config import ConfigError, Settings
from cxpulse.core.admission import IngestStats
from cxpulse.exporter import build_registry, start_metrics_server
from cxpulse.families import EVENT_TOPICS, FAMILIES, family_collectors
from cxpulse.gc_pause import FREEZE_EVERY, StateFreezer
from cxpulse.streams.app import create_app
from cxpulse.streams.deadletter import DeadLetters
from cxpulse.streams.health import KafkaProbe
from cxpulse.streams.recovery_watch import RecoveryWatch
from cxpulse.streams.rewind import rewind_uncommitted
from cxpulse.streams.shutdown import BoundedStopWorker


def build_app(settings: Settings) -> faust.App:
    """The app with every family's agent registered and ``/metrics`` served once it
    starts (:mod:`cxpulse.families`)."""
    app = create_app(settings)
    stats = IngestStats()
    deadletters = DeadLetters(app, settings)
    team = TeamQuantileAgent(app, settings)
    agents = {line.name: line.agent(app, settings, stats, deadletters, team)
              for line in FAMILIES}
    families = {name: agent.family for name, agent in agents.items()}
    probe = KafkaProbe(settings.kafka_bootstrap)
    guard = CollectorGuard()
    registry = build_registry([
        probe,
        guard.guarded("ingest", IngestCollector(
            stats, [agent.ingest.admission for agent in agents.values()])),
        *(guard.guarded(name, collector)
          for name, collector in family_collectors(families, team.quantiles)),
        guard,  # last: its counter includes this scrape's failures
    ])

    def prepare() -> Iterator[None]:
        for agent in agents.values():
            yield from agent.family.prepare_windows()
            yield from team.quantiles.prepare_windows(agent.name, agent.family.now())

    async def serve_metrics() -> None:
        await start_metrics_server(registry, settings.metrics_host, settings.metrics_port,
                                   settings.metrics_security, prepare)

    app.task(serve_metrics)
    app.task(probe.run)
    freezer = StateFreezer()

    async def freeze_state() -> None:
        freezer.tick()

    app.timer(FREEZE_EVERY)(freeze_state)
    RecoveryWatch(app).install()
    repeats = agents["contacts"].repeats  # type: ignore[attr-defined]
    rewind_uncommitted(app, {*(settings.topic(t) for t in EVENT_TOPICS),
                             team.topic.get_topic_name(), repeats.topic.get_topic_name()})
    return app


def check_port_free(host: str, port: int, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise ConfigError(f"bad setting {setting}={port}: port {port} on {host} is in use; "
                              "pick another port or stop what holds it") from None


def _check_kafka_reachable(bootstrap: str, timeout: float = 10.0) -> None:
    """Fail fast, in one line, when no bootstrap server accepts a connection."""
    deadline = time.monotonic() + timeout
    while not any_server_listens(bootstrap):
        if time.monotonic() > deadline:
            raise ConfigError(f"cannot reach Kafka at CXPULSE_KAFKA_BOOTSTRAP={bootstrap}: "
                              "start a broker (cxpulse broker) or fix the address")
        time.sleep(0.5)


def run_worker(settings: Settings) -> None:
    """Run until SIGTERM/Ctrl-C (Faust's worker handles the signals)."""
    _check_kafka_reachable(settings.kafka_bootstrap)
    check_port_free(settings.metrics_host, settings.metrics_port, "CXPULSE_METRICS_PORT")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = build_app(settings)
    worker = BoundedStopWorker(app, loglevel=settings.log_level.upper(), redirect_stdouts=False)
    worker.execute_from_commandline()
