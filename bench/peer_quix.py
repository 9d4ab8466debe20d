"""Peer: Quix Streams doing the simplest stateful job its users write, on the bench's topics.

Quix Streams is the other pure-Python Kafka stream library (librdkafka underneath, RocksDB
state with changelog topics), so it is the nearest outside yardstick for the worker. Per
event topic: ``app.dataframe(topic).tumbling_window(60 s).count().final()``, JSON values,
event time from the CloudEvent ``time`` (a timestamp extractor), default RocksDB state,
``auto_offset_reset="earliest"`` and a fresh consumer group, so it reads from offset 0.

It is not a cxpulse dependency: ``bench.peers`` runs this file with the Python of its own
venv (``.bench-venvs/quix``), so only the standard library and ``quixstreams`` are imported.

Run: ``python bench/peer_quix.py --bootstrap HOST:PORT --topics T [T ...] --expected N
--state-dir DIR``; prints ``{"rate": events_per_second, "events": n}`` on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from quixstreams import Application


def event_time(value: Any, headers: Any, timestamp: int, timestamp_type: Any) -> int:
    """Milliseconds since the epoch of the CloudEvent ``time`` (ISO 8601, ``Z`` or offset)."""
    return int(datetime.fromisoformat(value["time"]).timestamp() * 1000)


def run(bootstrap: str, topics: list[str], expected: int, state_dir: Path) -> dict[str, float]:
    """Count ``expected`` events through the windowed counts; return the rate."""
    app = Application(broker_address=bootstrap, consumer_group=f"bench-peer-quix-{time.time_ns()}",
                      auto_offset_reset="earliest", state_dir=str(state_dir),
                      loglevel="WARNING")
    seen, first, start, end = 0, 0, 0.0, 0.0

    def counted(value: Any) -> None:
        nonlocal seen, first, start, end
        if not seen:
            start, first = time.perf_counter(), 1
        seen += 1
        if seen >= expected and not end:
            end = time.perf_counter()
            app.stop()

    for name in topics:
        topic = app.topic(name, value_deserializer="json", key_deserializer="str",
                          timestamp_extractor=event_time)
        sdf = app.dataframe(topic).update(counted)
        sdf.tumbling_window(timedelta(seconds=60)).count().final()
    app.run()
    elapsed = end - start
    return {"rate": (seen - first) / elapsed if elapsed > 0 else 0.0, "events": seen}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench/peer_quix.py", description=__doc__)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topics", nargs="+", required=True)
    p.add_argument("--expected", type=int, required=True)
    p.add_argument("--state-dir", type=Path, required=True)
    args = p.parse_args(argv)
    print(json.dumps(run(args.bootstrap, args.topics, args.expected, args.state_dir)),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
