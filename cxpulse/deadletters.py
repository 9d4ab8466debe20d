"""``cxpulse deadletters``: what is in the dead-letter topic, and putting it back.

A dead letter (``streams/deadletter.py``) is the rejected message unchanged (key,
value, every original header) followed by the ``cxpulse-*`` headers saying where it
came from (source topic with its prefix, partition, offset) and why (the reason).

Listing reads the topic from its beginning up to the end offsets taken at start,
with no consumer group (nothing committed). Re-publishing sends the chosen dead
letters to their source topic with their original key, value and headers, the
``cxpulse-*`` headers removed and ``cxpulse-republished-from`` =
``deadletter-topic:partition:offset`` added, so a record that fails again and comes
back can be recognised. ``--rekey`` keys each by its event's entity id instead.
"""

from __future__ import annotations

import asyncio
import base64
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from tqdm import tqdm

from cxpulse.config import ConfigError, Settings
from cxpulse.publishing import make_producer, start_client
from cxpulse.schemas.contract import CONTRACTS
from cxpulse.streams.deadletter import (
    HEADER_OFFSET,
    HEADER_PARTITION,
    HEADER_REASON,
    HEADER_TOPIC,
    Headers,
)
from cxpulse.streams.topics import DEADLETTER

HEADER_REPUBLISHED_FROM = "cxpulse-republished-from"
CXPULSE_HEADER_PREFIX = "cxpulse-"
EXAMPLES = 5
"""Dead-letter offsets shown per reason."""
PROGRESS_ABOVE = 5_000
"""Show a progress bar when the topic holds more records than this."""
ASSIGN_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of the dead-letter topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers

    def header(self, name: str) -> str | None:
        """The last value of a header, as text (the dead-letterer appends its own last)."""
        for key, value in reversed(self.headers):
            if key == name:
                return value.decode("utf-8", "replace")
        return None

    @property
    def where(self) -> str:
        """``deadletter-topic:partition:offset``."""
        return f"{self.topic}:{self.partition}:{self.offset}"

    @property
    def reason(self) -> str:
        return self.header(HEADER_REASON) or "(no reason)"

    @property
    def reason_kind(self) -> str:
        return self.reason.split(":", 1)[0]

    @property
    def source_topic(self) -> str | None:
        return self.header(HEADER_TOPIC)

    @property
    def source_partition(self) -> int | None:
        return _int(self.header(HEADER_PARTITION))

    @property
    def source_offset(self) -> int | None:
        return _int(self.header(HEADER_OFFSET))

    @property
    def original_headers(self) -> Headers:
        """The headers without any ``cxpulse-*`` one."""
        return [(k, v) for k, v in self.headers if not k.startswith(CXPULSE_HEADER_PREFIX)]

    @property
    def republished_before(self) -> bool:
        """It already came back once through ``--republish``."""
        return self.header(HEADER_REPUBLISHED_FROM) is not None


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None


# --- choosing -----------------------------------------------------------------------


def matches_topic(letter: DeadLetter, topic: str, prefix: str) -> bool:
    """``topic`` is a full name or a default name (``cx.tickets``) under the prefix."""
    return letter.source_topic in (topic, prefix + topic)


def choose(letters: Iterable[DeadLetter], reason: str | None = None,
           source_topic: str | None = None, prefix: str = "",
           limit: int | None = None) -> list[DeadLetter]:
    """The dead letters whose reason starts with ``reason`` and that came from
    ``source_topic``, in topic order (partition, offset), at most ``limit``."""
    chosen = [d for d in sorted(letters, key=lambda d: (d.partition, d.offset))
              if (reason is None or d.reason.startswith(reason))
              and (source_topic is None or matches_topic(d, source_topic, prefix))]
    return chosen if limit is None else chosen[:limit]


# --- re-publishing ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A dead letter ready to go back to its source topic."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers
    reason: str


def republish_headers(letter: DeadLetter) -> Headers:
    """Original headers, then where it comes from (any earlier mark replaced)."""
    return [*letter.original_headers, (HEADER_REPUBLISHED_FROM, letter.where.encode())]


def entity_key(letter: DeadLetter) -> str | bytes:
    """The entity id of the letter's event as the message key, or why there is none.

    Binary content mode (a ``ce_specversion`` header): the type is the ``ce_type``
    header and the value is the ``data`` object. Structured mode: the value is the
    whole event with ``type`` and ``data``.
    """
    try:
        doc = orjson.loads(letter.value or b"")
    except orjson.JSONDecodeError:
        return "value is not valid JSON"
    if not isinstance(doc, dict):
        return "value is not a JSON object"
    if any(name == "ce_specversion" for name, _ in letter.headers):
        event_type: Any = letter.header("ce_type")
        data: Any = doc
    else:
        event_type, data = doc.get("type"), doc.get("data")
    contract = CONTRACTS.get(event_type) if isinstance(event_type, str) else None
    if contract is None:
        return f"unknown type {event_type!r}"
    entity = data.get(contract.key_field) if isinstance(data, dict) else None
    if not isinstance(entity, str) or not entity:
        return f"no data.{contract.key_field} to key {event_type} by"
    return entity.encode()


def outgoing(letter: DeadLetter, rekey: bool) -> Outgoing | str:
    """What to send for one dead letter, or why it cannot be re-published."""
    if not letter.source_topic:
        return f"no {HEADER_TOPIC} header"
    key = letter.key
    if rekey:
        found = entity_key(letter)
        if isinstance(found, str):
            return f"cannot re-key: {found}"
        key = found
    return Outgoing(letter.source_topic, key, letter.value, republish_headers(letter),
                    letter.reason)


# --- printing -----------------------------------------------------------------------


def _text_or_base64(name: str, data: bytes | None) -> dict[str, Any]:
    if data is None:
        return {name: None}
    try:
        return {name: data.decode("utf-8")}
    except UnicodeDecodeError:
        return {f"{name}_base64": base64.b64encode(data).decode("ascii")}


def as_json(letter: DeadLetter) -> dict[str, Any]:
    """One dead letter as a JSON object; bytes as UTF-8 text, else ``*_base64``."""
    return {
        "deadletter_partition": letter.partition,
        "deadletter_offset": letter.offset,
        "source_topic": letter.source_topic,
        "source_partition": letter.source_partition,
        "source_offset": letter.source_offset,
        "reason": letter.reason,
        **_text_or_base64("key", letter.key),
        "headers": [{"name": k, **_text_or_base64("value", v)} for k, v in letter.headers],
        **_text_or_base64("value", letter.value),
    }


def print_summary(topic: str, letters: Sequence[DeadLetter], out: TextIO) -> None:
    """Counts per reason kind, per full reason (with offsets), per source topic."""
    print(f"{topic}: {len(letters)} dead letters", file=out)
    if not letters:
        return
    kinds = Counter(d.reason_kind for d in letters)
    print("by reason kind:", file=out)
    for kind, n in _by_count(kinds):
        print(f"  {n:>8}  {kind}", file=out)
    print("by reason (first dead-letter partition:offset):", file=out)
    offsets: dict[str, list[str]] = {}
    for d in letters:
        offsets.setdefault(d.reason, []).append(f"{d.partition}:{d.offset}")
    for reason, n in _by_count(Counter({r: len(o) for r, o in offsets.items()})):
        shown = ", ".join(offsets[reason][:EXAMPLES]) + (", ..." if n > EXAMPLES else "")
        print(f"  {n:>8}  {reason}  ({shown})", file=out)
    print("by source topic:", file=out)
    for source, n in _by_count(Counter(d.source_topic or "(none)" for d in letters)):
        print(f"  {n:>8}  {source}", file=out)
    again = sum(d.republished_before for d in letters)
    if again:
        print(f"{again} had been re-published before ({HEADER_REPUBLISHED_FROM}): "
              "they failed again", file=out)


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# --- Kafka --------------------------------------------------------------------------


def _consumer(settings: Settings) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, group_id=None,
                            enable_auto_commit=False, auto_offset_reset="earliest",
                            **settings.kafka_security.aiokafka_kwargs())


async def read_deadletters(settings: Settings, progress: bool = True) -> list[DeadLetter]:
    """Every record of the dead-letter topic up to the end offsets taken at start."""
    topic = settings.topic(DEADLETTER)
    consumer = _consumer(settings)
    await start_client(consumer, settings)
    try:
        if topic not in await consumer.topics():
            raise ConfigError(f"no topic {topic} on the broker: check CXPULSE_TOPIC_PREFIX")
        tps = await _all_partitions(consumer, topic)
        begin = await consumer.beginning_offsets(tps)
        end = await consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, begin[tp])
        total = sum(end[tp] - begin[tp] for tp in tps)
        with tqdm(total=total, unit=" records", desc="read dead letters", file=sys.stderr,
                  disable=not progress or total <= PROGRESS_ABOVE) as bar:
            return await _read_until(consumer, {tp: end[tp] for tp in tps
                                                if end[tp] > begin[tp]}, bar)
    finally:
        await consumer.stop()


async def _all_partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Subscribe without a group: aiokafka then assigns every partition of the topic."""
    consumer.subscribe([topic])
    deadline = time.monotonic() + ASSIGN_TIMEOUT
    while not consumer.assignment():
        if time.monotonic() > deadline:
            raise ConfigError(f"no partitions of {topic} after {ASSIGN_TIMEOUT:.0f} s: "
                              "is the broker healthy?")
        await asyncio.sleep(0.05)
    return sorted(consumer.assignment(), key=lambda tp: tp.partition)


async def _read_until(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int],
                      bar: Any) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    while end:
        batch = await consumer.getmany(*end, timeout_ms=1000)
        for tp, records in batch.items():
            for r in records:
                if r.offset < end[tp]:
                    letters.append(DeadLetter(tp.topic, tp.partition, r.offset, r.key, r.value,
                                              [(k, v or b"") for k, v in r.headers]))
                    bar.update(1)
        for tp in list(end):
            if await consumer.position(tp) >= end[tp]:
                consumer.pause(tp)
                del end[tp]
    return letters


async def send_back(settings: Settings, messages: Sequence[Outgoing]) -> None:
    """Send to the source topics and wait until every one is acknowledged."""
    producer = make_producer(settings)
    await start_client(producer, settings)
    try:
        futures = [await producer.send(m.topic, m.value, key=m.key, headers=m.headers)
                   for m in messages]
        for future in futures:
            await future
    finally:
        await producer.stop()


# --- the command --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Options:
    json: bool = False
    republish: bool = False
    reason: str | None = None
    source_topic: str | None = None
    limit: int | None = None
    rekey: bool = False
    progress: bool = True


async def run(settings: Settings, options: Options, out: TextIO | None = None,
              err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    letters = choose(await read_deadletters(settings, options.progress), options.reason,
                     options.source_topic, settings.topic_prefix, options.limit)
    if not options.republish:
        if options.json:
            for letter in letters:
                out.write(orjson.dumps(as_json(letter)).decode() + "\n")
        else:
            print_summary(settings.topic(DEADLETTER), letters, out)
        return 0
    ready: list[Outgoing] = []
    for letter in letters:
        result = outgoing(letter, options.rekey)
        if isinstance(result, str):
            print(f"{letter.where}: skipped: {result}", file=err)
        else:
            ready.append(result)
    await send_back(settings, ready)
    print(f"re-published {len(ready)} of {len(letters)} chosen dead letters", file=out)
    for reason, n in _by_count(Counter(m.reason for m in ready)):
        print(f"  {n:>8}  {reason}", file=out)
    return 0
