"""Team samples travel as one message per batch and family (agents/team_quantiles.py):
what the owner rebuilds from them is each entity's latest samples, as before."""

from __future__ import annotations

from typing import Any

import faust
import orjson

from cxpulse.agents.team_quantiles import ENTITIES_PER_MESSAGE, TeamQuantileAgent
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
    assert len(topic.sent) == 3 == -(-450 // ENTITIES_PER_MESSAGE)
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
