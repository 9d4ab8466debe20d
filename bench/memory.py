"""RSS per open ticket, per daily user and per session, on the pure state a worker keeps.

Each case runs in a fresh subprocess (``python -m bench.memory CASE N``) that feeds
N entities into the same family objects a worker builds (dict mappings standing in
for Faust's in-memory tables) and prints the RSS growth in bytes.
"""

from __future__ import annotations

import gc
import sys
from zoneinfo import ZoneInfo

from cxpulse.core.active_users import ActiveUsers
from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.session_family import SessionFamily
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.core.tickets import SlaTargets
from cxpulse.simulate.base import rfc3339

T0 = 1_795_300_000.0


def rss_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _admission(topic: str) -> Admission:
    # Dedupe ids are kept for an hour of event time: give every event the same time
    # window so they all stay, as they would at the peak.
    return Admission(topic, IngestStats(), {}, replay_clock=True, dedupe_horizon=3600.0)


def open_tickets(n: int) -> object:
    family = TicketFamily(_admission("cx.tickets"), {}, SlaTargets(), 7 * 86400.0)
    for i in range(n):
        raw = (b'{"specversion":"1.0","id":"o%d","source":"b","type":"ticket.opened",'
               b'"time":"%s","data":{"ticket_id":"T-%d","customer_id":"C-%d",'
               b'"channel":"email","priority":"normal"}}'
               % (i, rfc3339(T0 + i * 0.05).encode(), i, i))
        family.handle(raw, i % 6)
    return family


def sessions(n: int) -> object:
    """The whole sessions family, one session per user: session histories, dedupe
    ids and the distinct-user state."""
    family = SessionFamily(_admission("cx.sessions"), {}, {}, ZoneInfo("UTC"), 25 * 3600.0)
    for i in range(n):
        raw = (b'{"specversion":"1.0","id":"s%d","source":"b","type":"session.started",'
               b'"time":"%s","data":{"session_id":"S-%d","user_id":"U-%d","source":"paid"}}'
               % (i, rfc3339(T0 + i * 0.05).encode(), i, i))
        family.handle(raw, i % 6)
    return family


def daily_users(n: int) -> object:
    """The distinct-user state alone (what ``cx_active_users`` keeps per daily user),
    with its table, written a batch of 1,000 events at a time as a worker does."""
    users = ActiveUsers({}, ZoneInfo("UTC"))
    users.advance(T0 + n * 0.05)
    for i in range(n):
        users.observe(f"U-{i}", T0 + i * 0.05, i % 6)
        if i % 1000 == 999:
            users.write_blocks()
    users.write_blocks()
    return users


CASES = {"open_tickets": open_tickets, "daily_users": daily_users, "sessions": sessions}


if __name__ == "__main__":
    case, count = sys.argv[1], int(sys.argv[2])
    gc.collect()
    before = rss_bytes()
    kept = CASES[case](count)  # held while measuring
    gc.collect()
    print(rss_bytes() - before)
    del kept
