"""What one Prometheus scrape of the ticket gauges costs the event loop.

``python -m bench.scrape_cost [N ...]`` builds a :class:`TicketIndex` holding N open
tickets (default 10^5 and 10^6), opened over the past week with every channel and
priority, half of them answered, some resolved and reopened, many past a deadline,
then prints, per N:

- the time of building the index (N calls of ``update``, one per ticket),
- ``snapshot()``: the median (and max) of 5 calls: this is what a scrape blocks;
  and, of the same 5 calls, the part of it that computes the instant gauges
  (``cx_tickets_open``, ``cx_tickets_in_breach``, the oldest unanswered); the rest is
  the windowed sums (:meth:`BucketSums.window`),
- ``advance()``: the median and max time of one step as "now" moves by 1 s, over
  ``STEPS`` steps (the deadlines that fall inside a step fire in it).

It uses the index's public methods, plus ``TicketIndex._gauges`` for the gauge part
(the method ``_gauges(now)`` that walked the tickets, or the ``GaugeIndex`` whose
``read()`` replaced it), so the same file times either version of
``cxpulse/core/tickets.py`` (e.g. a checkout of the commit before the GaugeIndex).
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
from typing import Any

from cxpulse.core.dimensions import CHANNELS, PRIORITIES
from cxpulse.core.tickets import DEFAULT_TARGETS, SlaTargets, TicketIndex, TicketView

NOW = 1_795_300_000.0
WEEK = 7 * 86400.0
STEPS = 300
"""Advance steps of 1 s (five minutes of "now")."""


def views(n: int, seed: int = 1) -> list[tuple[str, TicketView]]:
    """n tickets open at NOW (and for the next STEPS seconds)."""
    rng = random.Random(seed)
    out: list[tuple[str, TicketView]] = []
    for i in range(n):
        opened = NOW - rng.random() * WEEK
        responses: list[float] = []
        if rng.random() < 0.5:
            responses.append(opened + rng.random() * (NOW - opened))
        transitions: list[tuple[float, bool]] = []
        if rng.random() < 0.1:  # resolved, then reopened: open again
            resolved = opened + rng.random() * (NOW - opened)
            transitions = [(resolved, True), (resolved + rng.random() * (NOW - resolved), False)]
        last = max([opened, *responses, *(t for t, _ in transitions)])
        priority = rng.choice(PRIORITIES)
        view = TicketView(opened, rng.choice(CHANNELS), priority, responses, transitions, last,
                          *DEFAULT_TARGETS.deadlines(opened, priority))
        out.append((f"T-{i}", view))
    return out


def gauge_part(index: TicketIndex) -> float:
    """Seconds one computation of the instant gauges takes, whichever version."""
    part: Any = index._gauges
    read = getattr(part, "read", None)
    started = time.perf_counter()
    if read is not None:
        read()
    else:  # before the GaugeIndex: the walk over every live ticket
        part(index.now)
    return time.perf_counter() - started


def measure(n: int) -> dict[str, float]:
    tickets = views(n)
    index = TicketIndex(SlaTargets())
    index.advance(NOW)
    gc.collect()
    started = time.perf_counter()
    for ticket_id, view in tickets:
        index.update(ticket_id, view)
    build = time.perf_counter() - started
    del tickets
    gc.collect()

    scrapes = []
    holds = []  # what the worker's scrape holds the loop for: each prepared step, the rest
    for _ in range(5):
        started = time.perf_counter()
        snap = index.snapshot()
        scrapes.append(time.perf_counter() - started)
        last = time.perf_counter()
        for _step in index.prepare_windows():
            now = time.perf_counter()
            holds.append(now - last)
            last = now
        index.snapshot()
        holds.append(time.perf_counter() - last)
    assert snap is not None
    gauges = [gauge_part(index) for _ in range(5)]
    open_now = sum(snap.gauges.open.values())
    assert open_now == n, (open_now, n)

    steps = []
    for k in range(1, STEPS + 1):
        started = time.perf_counter()
        index.advance(NOW + k)
        steps.append(time.perf_counter() - started)
    return {"n": n, "build_s": build, "snapshot_median_ms": 1e3 * statistics.median(scrapes),
            "snapshot_max_ms": 1e3 * max(scrapes), "hold_max_ms": 1e3 * max(holds),
            "gauges_median_ms": 1e3 * statistics.median(gauges),
            "advance_median_ms": 1e3 * statistics.median(steps),
            "advance_max_ms": 1e3 * max(steps)}


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [100_000, 1_000_000]
    print(f"{'open tickets':>12}  {'build s':>8}  {'snapshot median ms':>18}  "
          f"{'snapshot max ms':>15}  {'gauge part median ms':>20}  "
          f"{'advance 1 s median ms':>21}  {'advance 1 s max ms':>18}  "
          f"{'prepared scrape: longest hold ms':>32}")
    for n in sizes:
        r = measure(n)
        print(f"{n:>12,}  {r['build_s']:>8.1f}  {r['snapshot_median_ms']:>18.2f}  "
              f"{r['snapshot_max_ms']:>15.2f}  {r['gauges_median_ms']:>20.3f}  "
              f"{r['advance_median_ms']:>21.3f}  "
              f"{r['advance_max_ms']:>18.3f}  {r['hold_max_ms']:>32.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
