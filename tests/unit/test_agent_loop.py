"""The agents' batch loop: a processing error loses nothing and stops nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka.producer.message_accumulator import BatchBuilder

from cxpulse.agents.history import INTERNAL_ERROR, process
from cxpulse.config import Settings
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.streams.changelog import DeferredChangelog
from cxpulse.streams.gap_repair import GapReader
from tests.support.pipeline import Pipeline
from tests.support.scenario import ev
from tests.unit.test_deferred_changelog import RecordingTable

T0 = 1_795_300_000.0


@dataclass
class Message:
    value: bytes
    partition: int
    offset: int
    topic: str = "cx.tickets"
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass
class Batch:
    records: list[Message]


class Stream:
    """Batches as :class:`cxpulse.streams.batches.BatchRoutes` hands them over, and
    which of them were acked after all their records' table writes were sent."""

    def __init__(self, batches: list[list[Message]], tables: list[RecordingTable]) -> None:
        self.pending = batches
        self.tables = tables
        self.acked: list[tuple[int, int]] = []
        """(batch's last offset, changelog records sent when it was acked)"""

    async def batches(self, topic: str) -> AsyncIterator[Batch]:
        assert topic == "cx.tickets"
        for records in self.pending:
            yield Batch(records)

    def ack(self, batch: Batch) -> None:
        self.acked.append((batch.records[-1].offset, sum(len(t.sent) for t in self.tables)))


class Topic:
    def get_topic_name(self) -> str:
        return "cx.tickets"


class Ingest:
    def __init__(self, tables: list[DeferredChangelog]) -> None:
        self.tables = tables
        self.topic = Topic()
        self.deadletters = self
        self.gaps = GapReader(Settings(), "cx.tickets")  # never reads: no offset is skipped
        self.sent: list[tuple[int, str]] = []
        self.forwarders: list[Any] = []

    async def send(self, message: Message, reason: str) -> None:
        self.sent.append((message.offset, reason))


class Team:
    def enqueue(self, family: str, outbox: list[Any]) -> None:
        """Nothing to send to."""

    async def drain(self) -> None:
        """Nothing queued."""


def opened(n: int) -> bytes:
    return orjson.dumps(ev(f"o{n}", "ticket.opened", T0 + n, ticket_id=f"T{n}",
                           customer_id="C", channel="chat", priority="normal"))


class Exploding(TicketFamily):
    """A family with a bug that one event triggers."""

    def handle(self, raw: bytes | None, partition: int, **message: Any) -> Any:
        if raw is not None and b'"o3"' in raw:
            raise KeyError("o3")
        return super().handle(raw, partition, **message)


async def test_an_event_that_raises_goes_to_the_dead_letters_and_the_batch_goes_on() -> None:
    table = RecordingTable()
    histories = DeferredChangelog(table)
    plain = Pipeline()
    family = Exploding(plain.admission, histories, plain.family.index.targets, 7 * 86400.0)
    ingest = Ingest([histories])
    batches = [[Message(opened(n), 0, n, key=f"T{n}".encode()) for n in range(5)],
               [Message(b"not json", 0, 5), Message(opened(6), 0, 6, key=b"T6")]]
    stream = Stream(batches, [table])
    await process(stream, family, ingest, Team(), "tickets")  # type: ignore[arg-type]
    assert ingest.sent == [(3, INTERNAL_ERROR), (5, "invalid_json")]
    assert stream.acked == [(4, 4), (6, 5)]  # each batch acked once its writes were sent
    assert sorted(histories) == ["T0", "T1", "T2", "T4", "T6"]
    assert len(table.sent) == 5  # every written ticket reached its changelog
    assert plain.stats.rejected[("cx.tickets", INTERNAL_ERROR)] == 1
    assert family.admission.offsets.missing == {}  # the one that raised was taken


def responded(n: int, ticket: int) -> bytes:
    return orjson.dumps(ev(f"r{n}", "ticket.responded", T0 + 60 + n,
                           ticket_id=f"T{ticket}", agent_id="A"))


class RebuildingIngest(Ingest):
    """A recovery (or a revoke) that runs while the batch sends its dead letters."""

    def __init__(self, tables: list[DeferredChangelog], family: TicketFamily) -> None:
        super().__init__(tables)
        self.family = family

    async def send(self, message: Message, reason: str) -> None:
        await super().send(message, reason)
        self.family.rebuild({0})


class RecordingTeam:
    def __init__(self) -> None:
        self.received: dict[str, list[Any]] = {}
        self.pending: list[list[Any]] = []

    def enqueue(self, family: str, outbox: list[Any]) -> None:
        self.pending.append(outbox)

    async def drain(self) -> None:
        for outbox in self.pending:
            self.received.update(outbox)
        self.pending.clear()


async def test_a_rebuild_while_a_batch_awaits_does_not_lose_its_team_samples() -> None:
    plain = Pipeline()
    histories = DeferredChangelog(RecordingTable())
    family = TicketFamily(plain.admission, histories, plain.family.index.targets, 7 * 86400.0)
    batch = [Message(opened(1), 0, 0, key=b"T1"), Message(responded(2, 1), 0, 1, key=b"T1"),
             Message(b"not json", 0, 2)]
    team = RecordingTeam()
    await process(Stream([batch], []), family, RebuildingIngest([histories], family), team,  # type: ignore[arg-type]
                  "tickets")
    assert list(team.received) == ["T1"]
    assert [sample[-1] for sample in team.received["T1"]] == [61.0]  # first response


class RebuildingProducer:
    """A recovery (or a revoke) that runs while the batch hands its changelog over."""

    def __init__(self, family: list[TicketFamily]) -> None:
        self.family = family

    def _ensure_producer(self) -> RebuildingProducer:
        return self

    def create_batch(self) -> BatchBuilder:
        return BatchBuilder(16384, 0)

    async def send_batch(self, *_: Any, partition: int) -> asyncio.Future[None]:
        self.family[0].rebuild({0})
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def test_a_rebuild_while_the_changelog_is_sent_does_not_lose_team_samples() -> None:
    plain = Pipeline()
    table = RecordingTable()
    rebuilt: list[TicketFamily] = []
    table.app.producer = RebuildingProducer(rebuilt)  # type: ignore[assignment]
    histories = DeferredChangelog(table)
    family = TicketFamily(plain.admission, histories, plain.family.index.targets, 7 * 86400.0)
    rebuilt.append(family)
    batch = [Message(opened(1), 0, 0, key=b"T1"), Message(responded(2, 1), 0, 1, key=b"T1")]
    team = RecordingTeam()
    await process(Stream([batch], []), family, Ingest([histories]), team,  # type: ignore[arg-type]
                  "tickets")
    assert [sample[-1] for sample in team.received["T1"]] == [61.0]
