"""A local single-node Apache Kafka broker (KRaft) for development and tests.

The jars come from Maven Central through ``deploy/kafka/pom.xml`` and are cached
under ``~/.cache/cxpulse``; once cached no network is needed. The broker listens on
127.0.0.1 only, its controller on the next port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import functools
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

POM = Path(__file__).resolve().parent.parent / "deploy" / "kafka" / "pom.xml"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
JAVA_HINT = "install a JDK 17 (apt-get install -y openjdk-17-jre-headless)"
MVN_HINT = "install Maven (apt-get install -y maven) to fetch the Kafka jars"
# The JVM exits 143 (128 + SIGTERM) once its shutdown hooks ran; -SIGTERM if the
# signal came before the JVM had installed its handler.
CLEAN_STOP = frozenset({0, 128 + signal.SIGTERM, -signal.SIGTERM})
PR_SET_PDEATHSIG = 1


class BrokerError(Exception):
    """The broker cannot be set up or started; the message says what to do, in one line."""


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BrokerError(f"{tool} not found: {hint}")
    return path


def _kafka_version(pom: str) -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    if match is None:
        raise BrokerError(f"{POM} names no <kafka.version>: restore it from git")
    return match.group(1)


def _first_error(output: str) -> str:
    """Maven's first non-empty [ERROR] line: the cause; the rest is advice on Maven flags."""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", output).splitlines()]
    errors = [line for line in lines if line.startswith("[ERROR]") and line != "[ERROR]"]
    return (errors or [line for line in lines if line] or ["no output"])[0][:300]


def fetch_jars(cache_dir: Path | None = None) -> Path:
    """The directory holding the broker's jars, fetched with Maven on first use.

    They live in ``kafka-<version>`` under ``cache_dir`` (default ``~/.cache/cxpulse``).
    """
    _require("java", JAVA_HINT)
    if not POM.exists():
        raise BrokerError(f"{POM} is missing: restore it from git")
    pom = POM.read_text()
    root = cache_dir if cache_dir is not None else Path.home() / ".cache" / "cxpulse"
    target = root / f"kafka-{_kafka_version(pom)}"
    marker = target / ".complete"
    # The marker holds the pom's digest so that an edited pom is fetched anew.
    digest = hashlib.sha256(pom.encode()).hexdigest()
    target.mkdir(parents=True, exist_ok=True)
    # Two processes starting brokers at once must not copy jars over each other.
    with (root / f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == digest:
            return target
        mvn = _require("mvn", MVN_HINT)
        for stale in target.glob("*.jar"):
            stale.unlink()
        base = [mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(POM),
                "dependency:copy-dependencies", f"-DoutputDirectory={target}",
                "-DincludeScope=runtime"]
        # Offline first: a warm ~/.m2 needs no network.
        for command in ([mvn, "-o", *base[1:]], base):
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, check=False)
            if done.returncode == 0:
                marker.write_text(digest)
                return target
    raise BrokerError(f"Maven could not fetch the Kafka jars: {_first_error(done.stdout)} "
                      "(check access to Maven Central)")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # A port left in TIME_WAIT by an earlier broker is free for Kafka too.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _write_config(data_dir: Path, port: int, partitions: int,
                  sasl: tuple[int, str, str] | None = None) -> Path:
    """``sasl``: (port, user, password) of an extra SASL_PLAINTEXT/PLAIN listener."""
    listeners = [f"PLAINTEXT://127.0.0.1:{port}"]
    protocols = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
    sasl_lines: list[str] = []
    if sasl is not None:
        sasl_port, user, password = sasl
        listeners.append(f"SASL_PLAINTEXT://127.0.0.1:{sasl_port}")
        protocols.append("SASL_PLAINTEXT:SASL_PLAINTEXT")
        sasl_lines = [
            "sasl.enabled.mechanisms=PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config="
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'user_{user}="{password}";',
        ]
    props = data_dir / "server.properties"
    props.write_text("\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{port + 1}",
        f"listeners={','.join(listeners)},CONTROLLER://127.0.0.1:{port + 1}",
        f"advertised.listeners={','.join(listeners)}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"listener.security.protocol.map={','.join(protocols)}",
        *sasl_lines,
        f"log.dirs={data_dir / 'logs'}",
        f"num.partitions={partitions}",
        "auto.create.topics.enable=true",
        # One node: internal topics cannot have more replicas than that.
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        # One local member: no reason to wait for others before assigning partitions.
        "group.initial.rebalance.delay.ms=0",
        f"log.retention.ms={30 * 24 * 3600 * 1000}",
        # On restart Kafka 4.0 lets the broker re-register only once the previous run's
        # session has expired (KAFKA-19130): 4 s instead of 9 s of waiting.
        "broker.session.timeout.ms=4000",
        "broker.heartbeat.interval.ms=1000",
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
        # Every client and server start dumps its whole configuration at INFO.
        "logger.config.name=org.apache.kafka.common.config",
        "logger.config.level=WARN",
        "",
    ]))
    return props


def _java(java: str, jars: Path, data_dir: Path, *args: str) -> list[str]:
    return [java, "-Xms256m", "-Xmx768m", "-cp", f"{jars}/*",
            f"-Dlog4j2.configurationFile={data_dir / 'log4j2.properties'}", *args]


def _storage_tool(java: str, jars: Path, data_dir: Path, *args: str) -> str:
    done = subprocess.run(_java(java, jars, data_dir, "kafka.tools.StorageTool", *args),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise BrokerError(f"kafka StorageTool {args[0]} failed for {data_dir}: {last[0]} "
                          "(remove the data dir to start afresh)")
    return done.stdout.strip()


def _format_storage(java: str, jars: Path, data_dir: Path, props: Path) -> None:
    if (data_dir / "logs" / "meta.properties").exists():
        return  # keep the data of an earlier run
    cluster_id = _storage_tool(java, jars, data_dir, "random-uuid")
    _storage_tool(java, jars, data_dir, "format", "-t", cluster_id, "-c", str(props),
                  "--standalone")


def _log_tail(log: Path, start: int, lines: int = 5) -> str:
    """The last lines this run wrote to ``log`` from byte ``start`` on, stack frames left out."""
    with log.open("rb") as fh:
        fh.seek(start)
        text = fh.read().decode(errors="replace")
    # Indented lines are stack frames; the message is in the lines above them.
    kept = [line for line in text.splitlines() if line.strip() and not line[0].isspace()]
    return " | ".join(kept[-lines:]) or f"{log} is empty"


def _die_with_parent(prctl: Callable[[int, int], int], parent: int) -> None:
    """In the child before exec: get SIGTERM when this Python process dies, even by SIGKILL."""
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


class _StopRequest:
    """A signal handler that only notes the request: the main loop acts on it.

    (A threading.Event would deadlock if the signal came while the main thread held
    its lock.)
    """

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True


@contextlib.contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    """aiokafka logs every refused connection while the JVM starts: expected here."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _has_leaders(topic: dict[str, Any]) -> bool:
    partitions: list[dict[str, Any]] = topic["partitions"]
    return topic["error_code"] == 0 and bool(partitions) and all(
        p["error_code"] == 0 and p["leader"] >= 0 for p in partitions)


async def _topics_ready(admin: AIOKafkaAdminClient, wanted: Sequence[NewTopic]) -> bool:
    """Create the wanted topics that do not exist; True once all of them have leaders."""
    # All topics, not by name: a metadata request naming a topic auto-creates it.
    described = {t["topic"]: t for t in await admin.describe_topics()}
    missing = [t for t in wanted if t.name not in described]
    if not missing:
        return all(_has_leaders(described[t.name]) for t in wanted)
    response = await admin.create_topics(missing)
    for name, code, *message in response.topic_errors:
        error = for_code(code) if code else None
        if error is not None and error is not TopicAlreadyExistsError and not error.retriable:
            raise BrokerError(f"cannot create topic {name!r}: {error.__name__} "
                              f"{''.join(message[:1])}".rstrip())
    return False  # their leaders show in a later metadata answer


async def _warm_up_groups(bootstrap: str, topic: str) -> None:
    """Have a fresh broker elect its group coordinator now (it creates
    ``__consumer_offsets`` on the first group): the first worker otherwise joins
    through "coordinator not available" churn, and a worker starting then was seen
    to stall in CI."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="cxpulse-warm-up",
                                enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + 60
        while not consumer.assignment() and time.monotonic() < deadline:
            await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()


async def _wait_ready(bootstrap: str, wanted: Sequence[NewTopic], proc: subprocess.Popen[bytes],
                      log: Path, log_start: int, stop: _StopRequest) -> bool:
    """Wait until the broker answers and the wanted topics have leaders; False on stop."""
    deadline = time.monotonic() + START_TIMEOUT
    while not stop.requested:
        if proc.poll() is not None:
            raise BrokerError(f"the broker exited with status {proc.returncode} while "
                              f"starting: {_log_tail(log, log_start)}")
        if time.monotonic() > deadline:
            raise BrokerError(f"the broker did not get ready on {bootstrap} within "
                              f"{START_TIMEOUT:.0f} s: {_log_tail(log, log_start)}")
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            if await _topics_ready(admin, wanted):
                return True
        except (KafkaError, OSError, TimeoutError):
            pass  # not listening yet, or still electing its controller or leaders
        finally:
            await admin.close()
        await asyncio.sleep(0.25)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM the broker's process group, SIGKILL it after STOP_TIMEOUT; its exit status."""
    if proc.poll() is None:
        # An exited but unreaped JVM still holds its group id, so killpg cannot miss.
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def _status(returncode: int) -> int:
    """A process's status as a shell reports it: 128 + N for death by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def run_broker(port: int, data_dir: Path, topics: Sequence[str], partitions: int = 6,
               on_ready: Callable[[], None] | None = None,
               compacted: Sequence[str] = (),
               sasl: tuple[int, str, str] | None = None) -> int:
    """Run the broker until SIGTERM/SIGINT or until it dies; return its exit status.

    ``topics`` are created as they are, ``compacted`` (table changelogs) with
    ``cleanup.policy=compact``, all with ``partitions`` partitions; topics that exist
    already are left alone. ``sasl`` = (port, user, password) adds a SASL_PLAINTEXT
    listener with that one PLAIN user, to try Kafka authentication locally.
    ``on_ready`` is called once they all have leaders.
    Returns 0 after a clean stop on SIGTERM/SIGINT. Call it from the main thread.
    """
    java = _require("java", JAVA_HINT)
    for p in (port, port + 1, *([sasl[0]] if sasl else [])):
        if not _port_free(p):
            raise BrokerError(f"port {p} on 127.0.0.1 is in use: stop what holds it or pass "
                              "another --port (the controller uses --port + 1)")
    jars = fetch_jars()
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    props = _write_config(data_dir, port, partitions, sasl)
    _format_storage(java, jars, data_dir, props)
    wanted = [NewTopic(t, partitions, 1) for t in topics] + [
        NewTopic(t, partitions, 1, topic_configs={"cleanup.policy": "compact"})
        for t in compacted]

    stop = _StopRequest()
    # Handlers first: a signal from here on stops the JVM instead of orphaning it.
    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    # Resolved here, not in the forked child, where loading could deadlock.
    preexec = (functools.partial(_die_with_parent, ctypes.CDLL(None).prctl, os.getpid())
               if sys.platform == "linux" else None)
    try:
        log = data_dir / "broker.log"
        with log.open("ab") as out:
            log_start = out.tell()
            # Own session: a terminal's Ctrl-C reaches only us, and we stop the JVM in order.
            proc = subprocess.Popen(
                _java(java, jars, data_dir, "kafka.Kafka", str(props)),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=data_dir,
                start_new_session=True, preexec_fn=preexec)
        try:
            with _quiet_aiokafka():
                ready = asyncio.run(_wait_ready(f"127.0.0.1:{port}", wanted, proc, log,
                                                log_start, stop))
                if ready and wanted:
                    asyncio.run(_warm_up_groups(f"127.0.0.1:{port}", wanted[0].name))
            if ready and on_ready is not None:
                on_ready()
            while not stop.requested and proc.poll() is None:
                time.sleep(0.2)
        finally:
            returncode = _stop(proc)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if stop.requested and returncode in CLEAN_STOP:
        return 0
    return _status(returncode)
