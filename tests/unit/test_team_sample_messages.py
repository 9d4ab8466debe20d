"""Team samples travel as one message per batch and family (agents/team_quantiles.py):
what the owner rebuilds from them is each entity's latest samples, as before."""

from __future__ import annotations

from typing import Any

import faust
import orjson

from cxpulse.agents.team_quantiles import MESSAGE_BYTES, TeamQuantileAgent, packed
from cxpulse.config import Settings


class RecordingTopic:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []

    async def send(self, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))


def agent() -> tuple[TeamQuantileAgent, RecordingTopic]:
    app = faust.App(f"t-{id(object())}", broker="kafka://127.0.0.1:1", store="memory://",
                    autodiscover=False, web_enabled=False)
    team = TeamQuantileAgent(app, Settings())
    topic = RecordingTopic()
    team.topic = topic  # type: ignore[assignment]
    return team, topic


def samples(n: int) -> list[list[Any]]:
    return [[1_795_300_000 + n, ["chat", "normal"], 0, float(n)]]


async def test_a_batch_of_changed_entities_is_a_few_messages_with_each_entitys_last_samples(
) -> None:
    team, topic = agent()
    outbox = [(f"T{n}", samples(n)) for n in range(450)]
    outbox.append(("T7", samples(7_000)))  # changed again later in the batch: this one wins
    team.enqueue("tickets", outbox)
    await team.drain()
    assert len(topic.sent) == 1  # 450 small entities: one message
    owner, _ = agent()
    for key, value in topic.sent:
        owner._apply(key, value, 0)
    expected = {f"tickets|T{n}": samples(7_000 if n == 7 else n) for n in range(450)}
    assert dict(owner.quantiles.table.items()) == expected


async def test_messages_of_one_entity_each_from_older_workers_are_still_read() -> None:
    owner, _ = agent()
    owner._apply(b"tickets|T1", orjson.dumps(["tickets", "T1", samples(1)]), 0)
    owner._apply(b"tickets", orjson.dumps(["tickets", [["T2", samples(2)], ["T1", []]]]), 0)
    assert dict(owner.quantiles.table.items()) == {"tickets|T2": samples(2)}


def test_messages_stay_near_the_size_bound_and_a_huge_entity_goes_alone() -> None:
    busy = [[1_795_300_000 + n, ["chat", "normal"], 0, 60.0 + n] for n in range(2_000)]
    latest = {f"A{n}": busy for n in range(40)} | {"huge": busy * 20}
    messages = list(packed("agents", latest))
    decoded = [orjson.loads(m) for m in messages]
    alone = [m for m, (_, changed) in zip(messages, decoded, strict=True)
             if [e for e, _ in changed] == ["huge"]]
    assert len(alone) == 1 and len(alone[0]) > 1_000_000  # the huge one, alone
    assert all(len(m) <= MESSAGE_BYTES + len(orjson.dumps(["A0", busy]))
               for m in messages if m is not alone[0])
    assert all(family == "agents" for family, _ in decoded)
    assert dict(e for _, changed in decoded for e in changed) == latest
    assert len(messages) >= 40 * len(orjson.dumps(["A0", busy])) // MESSAGE_BYTES
