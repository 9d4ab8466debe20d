"""A local single-node Apache Kafka broker (KRaft) for development and tests.

The jars come from Maven Central through ``deploy/kafka/pom.xml`` and are cached
under ``~/.cache/cxpulse``; once cached no network is needed. The broker listens on
127.0.0.1 only, and its controller on the next port.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

POM = Path(__file__).resolve().parent.parent / "deploy" / "kafka" / "pom.xml"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0


class BrokerError(Exception):
    """The broker cannot be set up or started; the message says what to do, in one line."""


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", POM.read_text())
    assert match, "deploy/kafka/pom.xml names no kafka.version"
    return match.group(1)


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BrokerError(f"{tool} not found: {hint}")
    return path


def fetch_jars(cache_dir: Path | None = None) -> Path:
    """The directory holding the broker's jars, fetched with Maven on first use."""
    target = cache_dir or Path.home() / ".cache" / "cxpulse" / f"kafka-{kafka_version()}"
    marker = target / ".complete"
    if marker.exists():
        return target
    mvn = _require("mvn", "install Maven (apt-get install -y maven) to fetch the Kafka jars")
    target.mkdir(parents=True, exist_ok=True)
    base = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
            f"-DoutputDirectory={target}", "-DincludeScope=runtime"]
    # Offline first: a warm ~/.m2 needs no network.
    for command in ([*base[:1], "-o", *base[1:]], base):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            marker.write_text(kafka_version())
            return target
    last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
    raise BrokerError(f"Maven could not fetch the Kafka jars ({last[0][:200]}); "
                      "check access to Maven Central")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _write_config(data_dir: Path, port: int, partitions: int) -> Path:
    logs = data_dir / "logs"
    props = data_dir / "server.properties"
    props.write_text("\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{port + 1}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{port + 1}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        f"log.dirs={logs}",
        f"num.partitions={partitions}",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        # One local member: no reason to wait for others before assigning partitions.
        "group.initial.rebalance.delay.ms=0",
        f"log.retention.ms={30 * 86400 * 1000}",
        "",
    ]))
    (data_dir / "log4j2.properties").write_text("\n".join([
        "appender.file.type=File",
        "appender.file.name=file",
        f"appender.file.fileName={data_dir / 'broker.log'}",
        "appender.file.layout.type=PatternLayout",
        "appender.file.layout.pattern=[%d] %p %m (%c)%n",
        "rootLogger.level=INFO",
        "rootLogger.appenderRef.file.ref=file",
        "logger.kafka.name=kafka",
        "logger.kafka.level=WARN",
        "logger.apache.name=org.apache.kafka",
        "logger.apache.level=WARN",
        "",
    ]))
    return props


def _java(jars: Path, data_dir: Path, *args: str) -> list[str]:
    java = _require("java", "install a JDK 17 (apt-get install -y openjdk-17-jre-headless)")
    return [java, "-Xms256m", "-Xmx768m", "-cp", f"{jars}/*",
            f"-Dlog4j2.configurationFile={data_dir / 'log4j2.properties'}", *args]


def _format_storage(jars: Path, data_dir: Path, props: Path) -> None:
    if (data_dir / "logs" / "meta.properties").exists():
        return  # keep the data of an earlier run
    uuid = subprocess.run(_java(jars, data_dir, "kafka.tools.StorageTool", "random-uuid"),
                          capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run(_java(jars, data_dir, "kafka.tools.StorageTool", "format", "-t", uuid,
                                "-c", str(props), "--standalone"),
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BrokerError(f"formatting {data_dir} failed: {done.stderr.strip()[-200:]}")


def _log_tail(data_dir: Path, lines: int = 5) -> str:
    path = data_dir / "broker.log"
    if not path.exists():
        return "no broker.log"
    return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])


async def _create_topics(bootstrap: str, topics: Sequence[str], compacted: Sequence[str],
                         partitions: int, proc: subprocess.Popen[bytes], data_dir: Path) -> None:
    """Wait until the broker answers, then create the topics that do not exist."""
    # aiokafka logs every refused connection while the JVM starts: expected here.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise BrokerError(f"the broker exited ({proc.returncode}): {_log_tail(data_dir)}")
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [NewTopic(t, partitions, 1) for t in topics if t not in existing]
            missing += [NewTopic(t, partitions, 1, topic_configs={"cleanup.policy": "compact"})
                        for t in compacted if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
            return
        except KafkaError:
            if time.monotonic() > deadline:
                raise BrokerError(f"the broker did not answer on {bootstrap} within "
                                  f"{START_TIMEOUT:.0f} s: {_log_tail(data_dir)}") from None
            await asyncio.sleep(0.5)
        finally:
            await admin.close()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_broker(port: int, data_dir: Path, topics: Sequence[str], partitions: int = 6,
               on_ready: Callable[[], None] | None = None,
               compacted: Sequence[str] = ()) -> int:
    """Run the broker until SIGTERM/SIGINT or until it dies; return its exit status.

    ``topics`` are created as they are, ``compacted`` (table changelogs) with
    ``cleanup.policy=compact``; topics that exist already are left alone.
    """
    for p in (port, port + 1):
        if not _port_free(p):
            raise BrokerError(f"port {p} on 127.0.0.1 is in use: stop what holds it or pass "
                              "another --port (the controller uses --port + 1)")
    jars = fetch_jars()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    props = _write_config(data_dir, port, partitions)
    _format_storage(jars, data_dir, props)
    with open(data_dir / "broker.out", "ab") as out:
        proc = subprocess.Popen(_java(jars, data_dir, "kafka.Kafka", str(props)),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    atexit.register(_stop, proc)
    stop_requested = False

    def on_signal(signum: int, _: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        asyncio.run(_create_topics(f"127.0.0.1:{port}", topics, compacted, partitions, proc,
                                   data_dir))
        if on_ready is not None:
            on_ready()
        while not stop_requested and proc.poll() is None:
            time.sleep(0.2)
    finally:
        _stop(proc)
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0 if stop_requested else (proc.returncode or 1)

