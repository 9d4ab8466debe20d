"""The dead-letter producer: a bad message keeps its bytes and says where it came from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import faust

from cxpulse.config import Settings
from cxpulse.streams.topics import DEADLETTER

HEADER_TOPIC = "cxpulse-source-topic"
HEADER_PARTITION = "cxpulse-source-partition"
HEADER_OFFSET = "cxpulse-source-offset"
HEADER_REASON = "cxpulse-reason"

Headers = list[tuple[str, bytes]]


def header_list(headers: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None) -> Headers:
    """A Faust message's headers (a list of ``(str, bytes)`` pairs or a mapping) as a list.

    Names given as bytes are decoded; a null value becomes ``b""``.
    """
    if not headers:
        return []
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: Headers = []
    for name, value in pairs:
        text = name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
        out.append((text, b"" if value is None else bytes(value)))
    return out


class DeadLetters:
    """Sends rejected messages, unchanged, to the dead-letter topic.

    The dead letter has the original key, value and every original header,
    followed by the ``cxpulse-*`` headers saying where it came from and why.
    """

    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.topic = app.topic(settings.topic(DEADLETTER), key_serializer="raw",
                               value_serializer="raw", partitions=settings.partitions)

    async def send(self, message: Any, reason: str) -> None:
        """``message`` is the Faust message (topic, partition, offset, key, value, headers)."""
        cxpulse_headers = [
            (HEADER_TOPIC, message.topic.encode()),
            (HEADER_PARTITION, str(message.partition).encode()),
            (HEADER_OFFSET, str(message.offset).encode()),
            (HEADER_REASON, reason.encode()),
        ]
        original = header_list(getattr(message, "headers", None))
        await self.topic.send(key=message.key, value=message.value,
                              headers=[*original, *cxpulse_headers])
