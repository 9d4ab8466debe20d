"""Peer: bare Faust 0.15 doing the simplest stateful job its users write, on the bench's topics.

cxpulse is built on Faust, so this row says how much of the worker's cost Faust itself
sets: decode the JSON CloudEvent (a ``faust.Record``), count events per message key in a
60 s tumbling window by the CloudEvent ``time`` (``relative_to_field``), in a
changelog-backed in-memory table, one agent over all event topics with
``stream.take_events(1000, 0.05)``.

``take_events`` hands over a batch while Faust's ``current_event()`` still points at the
batch's last event, so ``counts[key] += 1`` would window every event of the batch by that
one event's time and send its changelog record to that event's partition. The agent sets
the current event for each event of the batch first (one line, Faust's own context
variable), so the idiomatic ``counts[key] += 1`` windows by each event's own time.

Faust expires windows by the wall clock (STACK-NOTES): the simulated day is in the past,
so its cleanup timer (every 30 s) also deletes old windows and writes their tombstones
while this runs. That is what a Faust user replaying history gets.

Run: ``python -m bench.peer_faust --bootstrap HOST:PORT --topics T [T ...] --expected N
--datadir DIR``;
prints ``{"rate": events_per_second, "events": n}`` as one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import weakref
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

import faust
from faust.streams import _current_event


class CloudEvent(faust.Record, serializer="json"):
    """The CloudEvent fields the job reads; the others are kept as they come."""

    id: str
    type: str
    time: str
    """ISO 8601: Faust parses it for ``relative_to_field`` (faust-streaming #389)."""


def build(bootstrap: str, topics: list[str], partitions: int, expected: int,
          done: Callable[[], Awaitable[None]], datadir: str) -> faust.App:
    """A fresh app (new id: reads from offset 0) that prints its rate and awaits ``done``
    once ``expected`` events are in."""
    app = faust.App(f"bench-peer-faust-{time.time_ns()}", broker=f"kafka://{bootstrap}",
                    store="memory://", topic_partitions=partitions,
                    consumer_auto_offset_reset="earliest", web_enabled=False,
                    autodiscover=False, datadir=datadir)
    source = app.topic(*topics, key_serializer="raw", value_type=CloudEvent)
    counts = app.Table("counts", default=int).tumbling(
        60, expires=timedelta(minutes=10)).relative_to_field(
        cast(Any, CloudEvent.time))  # a FieldDescriptor at class level, typed as str

    @app.agent(source)
    async def count(stream: Any) -> None:
        seen, first, start = 0, 0, 0.0
        async for events in stream.take_events(1000, 0.05):
            if not seen:
                start, first = time.perf_counter(), len(events)
            for event in events:
                _current_event.set(weakref.ref(event))
                counts[event.key.decode()] += 1
            seen += len(events)
            if seen >= expected:
                elapsed = time.perf_counter() - start
                rate = (seen - first) / elapsed if elapsed > 0 else 0.0
                print(json.dumps({"rate": rate, "events": seen}), flush=True)
                await done()
                return

    return app


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.peer_faust", description=__doc__)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topics", nargs="+", required=True)
    p.add_argument("--partitions", type=int, default=6)
    p.add_argument("--expected", type=int, required=True)
    p.add_argument("--datadir", required=True, help="Faust's data directory (a scratch one)")
    args = p.parse_args(argv)
    worker: Any = None
    stopping: set[asyncio.Task[None]] = set()

    async def done() -> None:
        stopping.add(asyncio.ensure_future(worker.stop()))

    app = build(args.bootstrap, args.topics, args.partitions, args.expected, done,
                args.datadir)
    worker = faust.Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    sys.exit(main())
