"""``python -m bench``: throughput, latency and memory of cxpulse, side by side.

On a local broker started here: N simulated events of every family are published
once; a plain aiokafka consumer that only decodes them (the baseline) and a
replay-mode ``cxpulse worker`` read them from offset 0, alternately, ``--repeat``
times; medians and their ratio are reported. In the same loop, peers (``bench.peers``:
bare Faust, Quix Streams) run a 60 s tumbling count per key on the same topics. Then
publish-to-/metrics latency at half the measured worker rate, and RSS per open ticket
and per daily user. Results go to ``bench/results/`` as a markdown table and a PNG.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench import catchup, latency, peers, plot, restart, throughput
from bench.broker import local_broker

RESULTS = Path(__file__).parent / "results"


@dataclass
class Results:
    events: int
    baseline: list[float] = field(default_factory=list)
    worker: list[float] = field(default_factory=list)
    changelog_per_event: list[float] = field(default_factory=list)
    two_workers: float = 0.0
    """Events per second of two workers in one group (0: not measured)."""
    latency_ms: list[float] = field(default_factory=list)
    latency_rate: float = 0.0
    memory: dict[str, tuple[int, int]] = field(default_factory=dict)
    """case -> (items, bytes of RSS growth)."""
    peers: dict[str, list[float]] = field(default_factory=dict)
    """peer -> events/s per run (bench.peers)."""
    peer_notes: dict[str, str] = field(default_factory=dict)
    """peer -> why it was not measured."""
    catchup: catchup.CatchUp | None = None
    restart: restart.Restart | None = None
    sketch: dict[str, Any] | None = None
    """bench.sketch_error's line: users, exact and counted 7d/28d."""

    @property
    def ratio(self) -> float:
        return statistics.median(self.worker) / statistics.median(self.baseline)


MEMORY_CASES = {
    "open_tickets": "open tickets (the ticket family)",
    "daily_users": "daily users (the distinct-user state of cx_active_users)",
    "sessions": "sessions (the sessions family: histories, dedupe ids, users)",
}


def _memory(case: str, items: int) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-m", "bench.memory", case, str(items)],
                          capture_output=True, text=True, check=True)
    return items, int(done.stdout.strip())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def markdown(r: Results) -> str:
    base, work = statistics.median(r.baseline), statistics.median(r.worker)
    lines = [
        f"# cxpulse benchmark ({time.strftime('%Y-%m-%d %H:%M')}, {r.events:,} events)", "",
        "| measure | value |", "|---|---|",
        f"| baseline: aiokafka consumer + orjson (median of {len(r.baseline)}) "
        f"| {base:,.0f} events/s |",
        f"| cxpulse worker, replay (median of {len(r.worker)}) | {work:,.0f} events/s |",
        f"| ratio worker / baseline | {r.ratio:.4f} |",
        f"| table changelog records per event (median) "
        f"| {statistics.median(r.changelog_per_event):.2f} |",
    ]
    for peer, rates in r.peers.items():
        label = peers.LABELS[peer]
        if rates:
            rate = statistics.median(rates)
            lines.append(f"| {label} (median of {len(rates)}) | {rate:,.0f} events/s, "
                         f"ratio to baseline {rate / base:.4f}, cxpulse / peer {work / rate:.2f} |")
        else:
            lines.append(f"| {label} | not measured: {r.peer_notes.get(peer, '?')} |")
    if r.two_workers:
        lines.append(f"| two workers in one group, replay | {r.two_workers:,.0f} events/s "
                     f"({r.two_workers / work:.2f} x one worker) |")
    if r.latency_ms:
        lines += [
            f"| publish -> /metrics latency p50 at {r.latency_rate:,.0f} events/s "
            f"| {_percentile(r.latency_ms, 0.5):,.0f} ms |",
            f"| publish -> /metrics latency p99 | {_percentile(r.latency_ms, 0.99):,.0f} ms |",
        ]
    if r.catchup:
        c = r.catchup
        lines.append(f"| catch-up after a {c.outage:,.0f} s outage at {c.rate:,.0f} events/s "
                     f"| current again (watermark within {catchup.CURRENT:.0f} s) "
                     f"{c.seconds:,.1f} s after the restart, reading {c.backlog:,} events "
                     f"({c.drain_rate:,.0f}/s) |")
    if r.restart:
        s = r.restart
        lines.append(f"| restart after SIGKILL with {s.entities:,} open tickets and "
                     f"{s.entities:,} daily users | numbers right again {s.seconds:,.1f} s "
                     f"after the start with an instance id, {s.seconds_dynamic:,.1f} s "
                     f"without (first load {s.first_load:,.1f} s); changelogs "
                     f"{s.changelog_bytes / 2**20:,.1f} MiB, {s.bytes_per_entity:,.0f} B "
                     "per entity |")
    for case, (items, grown) in r.memory.items():
        lines.append(f"| RSS growth, {items:,} {MEMORY_CASES.get(case, case)} "
                     f"| {grown / 2**20:,.1f} MiB ({grown / items:,.0f} B each) |")
    if r.sketch:
        exact, counted = r.sketch["exact"], r.sketch["counted"]
        lines.append(f"| cx_active_users 7d / 28d from sketches, {r.sketch['users']:,} users "
                     f"| " + ", ".join(
                         f"{w}: {counted[w]:,} for {exact[w]:,} "
                         f"({abs(counted[w] - exact[w]) / exact[w]:.2%} off)"
                         for w in ("7d", "28d")) + " |")
    runs = []
    for n, (b, w) in enumerate(zip(r.baseline, r.worker, strict=True)):
        runs.append(f"baseline {b:,.0f}/s vs worker {w:,.0f}/s" + "".join(
            f", {peer} peer {rates[n]:,.0f}/s" for peer, rates in r.peers.items()
            if n < len(rates)))
    lines += ["", "Runs: " + "; ".join(runs)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--latency-seconds", type=float, default=300.0)
    p.add_argument("--memory-items", type=int, default=1_000_000)
    p.add_argument("--catchup-outage", type=float, default=600.0,
                   help="seconds a live worker is stopped while events arrive (0: skip)")
    p.add_argument("--catchup-rate", type=float, default=1000.0)
    p.add_argument("--restart-entities", type=int, default=1_000_000,
                   help="open tickets and daily users a killed worker restarts with (0: skip)")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--two-workers", action=argparse.BooleanOptionalAction, default=True,
                   help="also replay with two workers in one group (default: yes)")
    p.add_argument("--peers", action=argparse.BooleanOptionalAction, default=True,
                   help="also measure the peer libraries (bench.peers; default: yes)")
    p.add_argument("--peer", action="append", choices=peers.PEERS,
                   help="only this peer (repeatable; default: all)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = Results(args.events)
    if args.peers:
        results.peers = {peer: [] for peer in args.peer or peers.PEERS}
    with tempfile.TemporaryDirectory(prefix="cxpulse-bench-") as tmp, \
            local_broker(Path(tmp)) as bootstrap:
        data = Path(tmp) / "events.jsonl"
        valid = throughput.prepare(data, args.events)
        prefix = throughput.publish(bootstrap, data, Path(tmp))
        for n in range(args.repeat):
            print(f"run {n + 1}/{args.repeat}: baseline...", file=sys.stderr, flush=True)
            results.baseline.append(asyncio.run(throughput.baseline(bootstrap, prefix, valid)))
            print(f"run {n + 1}/{args.repeat}: cxpulse worker...", file=sys.stderr, flush=True)
            run = throughput.worker(bootstrap, prefix, data, Path(tmp), n)
            results.worker.append(run.rate)
            results.changelog_per_event.append(run.changelog_per_event)
            print(f"  baseline {results.baseline[-1]:,.0f}/s, worker {results.worker[-1]:,.0f}/s",
                  file=sys.stderr, flush=True)
            for peer, rates in results.peers.items():
                if peer in results.peer_notes:
                    continue
                print(f"run {n + 1}/{args.repeat}: {peer} peer...", file=sys.stderr, flush=True)
                try:
                    rates.append(peers.measure(peer, bootstrap, prefix, valid, Path(tmp), n))
                except peers.NotMeasured as exc:
                    results.peer_notes[peer] = str(exc)
                    print(f"  {peer} peer not measured: {exc}", file=sys.stderr, flush=True)
                    continue
                print(f"  {peer} peer {rates[-1]:,.0f}/s", file=sys.stderr, flush=True)
        if args.two_workers:
            print("two workers in one group...", file=sys.stderr, flush=True)
            results.two_workers = throughput.worker(bootstrap, prefix, data, Path(tmp),
                                                    args.repeat, workers=2).rate
        if args.latency_seconds > 0:
            results.latency_rate = statistics.median(results.worker) / 2
            print(f"latency at {results.latency_rate:,.0f} events/s...", file=sys.stderr)
            results.latency_ms = latency.measure(bootstrap, Path(tmp), results.latency_rate,
                                                 args.latency_seconds)
        if args.catchup_outage > 0:
            print(f"catch-up after {args.catchup_outage:,.0f} s at {args.catchup_rate:,.0f} "
                  "events/s...", file=sys.stderr, flush=True)
            results.catchup = catchup.measure(bootstrap, Path(tmp), args.catchup_rate,
                                              args.catchup_outage,
                                              warm=min(30.0, args.catchup_outage))
        if args.restart_entities > 0:
            print(f"restart with {args.restart_entities:,} open tickets and daily users...",
                  file=sys.stderr, flush=True)
            results.restart = restart.measure(bootstrap, Path(tmp) / "broker", Path(tmp),
                                              args.restart_entities)
    for case in MEMORY_CASES:
        if args.memory_items > 0:
            print(f"memory: {args.memory_items:,} {case}...", file=sys.stderr, flush=True)
            results.memory[case] = _memory(case, args.memory_items)
    if args.memory_items > 0:
        print(f"7d/28d sketch error over {args.memory_items:,} users...", file=sys.stderr,
              flush=True)
        results.sketch = orjson.loads(subprocess.run(
            [sys.executable, "-m", "bench.sketch_error", str(args.memory_items)],
            capture_output=True, text=True, check=True).stdout)
    table = markdown(results)
    (args.out / "results.md").write_text(table)
    # Every scrape's figure in order: the histogram does not tell a run's start from
    # its steady state.
    (args.out / "latency.json").write_bytes(orjson.dumps(
        {"rate": results.latency_rate, "ms_per_scrape": [round(ms) for ms in results.latency_ms]}))
    plot.draw(results.baseline, results.worker, results.latency_ms,
              {k: v[1] / v[0] for k, v in results.memory.items()}, args.out / "results.png",
              results.two_workers, results.peers)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
