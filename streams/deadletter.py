"""The dead-letter producer: a bad message keeps its bytes and says where it came from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust

from cxpulse.config import Settings
from streams.topics import DEADLETTER

HEADER_TOPIC = "cxpulse-source-topic"
HEADER_PARTITION = "cxpulse-source-partition"
HEADER_OFFSET = "cxpulse-source-offset"
HEADER_REASON = "cxpulse-reason"


def original_headers(headers: Any) -> list[tuple[str, bytes]]:
    """A message's headers as (name, value) pairs, from a mapping or a sequence."""
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name), bytes(value or b"")) for name, value in pairs]


class DeadLetters:
    """Sends rejected messages, unchanged, to the dead-letter topic."""

    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.topic = app.topic(settings.topic(DEADLETTER), key_serializer="raw",
                               value_serializer="raw", partitions=settings.partitions)

    async def send(self, message: Any, reason: str) -> None:
        """``message`` is the Faust message (topic, partition, offset, key, value,
        headers): its key, value and every header go on unchanged (a producer's trace
        id, a binary-mode event's ``ce_*`` attributes), so it can be re-published as it
        was sent; the ``cxpulse-*`` headers say where it came from and why."""
        headers = [
            *original_headers(message.headers),
            (HEADER_TOPIC, message.topic.encode()),
            (HEADER_PARTITION, str(message.partition).encode()),
            (HEADER_OFFSET, str(message.offset).encode()),
            (HEADER_REASON, reason.encode()),
        ]
        await self.topic.send(key=message.key, value=message.value, headers=headers)
