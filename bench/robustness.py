"""How long one piece of work holds the event loop: hot entities and recovery.

``python -m bench.robustness [--tickets 1000000]`` (in-process, pure families, no
broker). It prints, side by side in one run (the machine is shared and noisy):

- a batch of 1,000 events on 1,000 different tickets (the baseline) against batches
  of 1,000 events on one hot ticket, from its first event to 10^4 past its cap:
  milliseconds per batch, median and worst;
- a recovery rebuild of N ticket histories: the longest stretch between two yields
  to the event loop (what blocks probes, scrapes and heartbeats), and the total.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.entity_limits import EntityLimits
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.core.tickets import SlaTargets
from cxpulse.gc_pause import collector_paused_then_frozen
from cxpulse.simulate.base import rfc3339

T0 = 1_795_300_000.0
BATCH = 1000


def _family(histories: dict[str, Any] | None = None) -> TicketFamily:
    admission = Admission("cx.tickets", IngestStats(), {}, replay_clock=True,
                          dedupe_horizon=3600.0)
    return TicketFamily(admission, {} if histories is None else histories, SlaTargets(),
                        7 * 86400.0, limits=EntityLimits())


def _line(event_id: str, event_type: str, t: float, **data: Any) -> bytes:
    return orjson.dumps({"specversion": "1.0", "id": event_id, "source": "bench",
                         "type": event_type, "time": rfc3339(t), "data": data})


def _opened(tid: str, t: float) -> bytes:
    return _line(f"o-{tid}", "ticket.opened", t, ticket_id=tid, customer_id="C",
                 channel="chat", priority="normal")


def _timed_batches(family: TicketFamily, lines: list[bytes]) -> list[float]:
    """Milliseconds per batch of :data:`BATCH` lines, as the agent loop runs them."""
    out = []
    for start in range(0, len(lines), BATCH):
        began = time.perf_counter()
        family.begin_batch()
        for line in lines[start:start + BATCH]:
            family.handle(line, 0)
        family.end_batch()
        out.append((time.perf_counter() - began) * 1000)
    return out


def hot_ticket(events: int) -> tuple[list[float], list[float]]:
    spread = [_opened(f"T{n}", T0 + n * 0.01) for n in range(events)]
    hot = [_opened("HOT", T0)] + [
        _line(f"r{n}", "ticket.responded" if n % 3 else "ticket.reopened", T0 + 1 + n * 0.01,
              ticket_id="HOT", agent_id="A") for n in range(events - 1)]
    return _timed_batches(_family(), spread), _timed_batches(_family(), hot)


def longest_step(steps: Callable[[], Any]) -> tuple[float, float]:
    """(longest ms between two yields, total s) of a step generator."""
    longest = 0.0
    began = last = time.perf_counter()
    for _ in steps():
        now = time.perf_counter()
        longest = max(longest, now - last)
        last = now
    end = time.perf_counter()
    return max(longest, end - last) * 1000, end - began


def recovery(tickets: int) -> tuple[float, float]:
    histories: dict[str, Any] = {}
    loaded = _family(histories)
    for n in range(tickets):
        loaded.handle(_opened(f"T{n}", T0 + n * 0.001), n % 6)
    fresh = _family(histories)
    with collector_paused_then_frozen():  # as agents.history.rebuild does
        return longest_step(lambda: fresh.rebuild_steps(set(range(6))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.robustness")
    parser.add_argument("--events", type=int, default=12_000,
                        help="events per run of the hot-ticket comparison")
    parser.add_argument("--tickets", type=int, default=1_000_000,
                        help="ticket histories to recover")
    args = parser.parse_args(argv)
    spread, hot = hot_ticket(args.events)
    print(f"batches of {BATCH} events, ms: {args.events} tickets (baseline) median "
          f"{statistics.median(spread):.1f}, worst {max(spread):.1f}; one hot ticket median "
          f"{statistics.median(hot):.1f}, worst {max(hot):.1f} "
          f"(ratio of medians {statistics.median(hot) / statistics.median(spread):.2f})")
    step_ms, total_s = recovery(args.tickets)
    print(f"recovery of {args.tickets} ticket histories: longest hold of the event loop "
          f"{step_ms:.0f} ms, total {total_s:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
