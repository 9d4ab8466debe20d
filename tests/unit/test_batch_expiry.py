"""Expiry runs once per batch and partition, at the batch's end, when the agent's
tables point at the batch's last message's partition: every deletion must still go
to the changelog partition of the state it deletes, and the state left must be what
expiring after each event leaves."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import orjson

from cxpulse.core.admission import Admission, IngestStats
from cxpulse.core.session_family import SessionFamily
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.core.tickets import SlaTargets
from cxpulse.simulate.base import rfc3339

H = 3600.0
T0 = 1_790_000_000.0


class ChangelogTable(dict[str, Any]):
    """A dict that notes the changelog partition of each write, as the worker's tables
    do: plain assignment goes to :attr:`partition` (the message being processed),
    ``put``/``delete`` to the partition they name."""

    def __init__(self) -> None:
        super().__init__()
        self.partition = 0
        self.writes: list[tuple[str, int, bool]] = []
        """(key, changelog partition, deleted)."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.writes.append((key, self.partition, False))

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.writes.append((key, self.partition, True))

    def put(self, key: str, value: Any, partition: int) -> None:
        super().__setitem__(key, value)
        self.writes.append((key, partition, False))

    def delete(self, key: str, partition: int) -> None:
        if self.pop(key, None) is not None:
            self.writes.append((key, partition, True))

    def deleted(self) -> dict[str, int]:
        return {key: partition for key, partition, gone in self.writes if gone}


def _session(n: int, t: float, partition: int) -> tuple[bytes, int]:
    return orjson.dumps({"specversion": "1.0", "id": f"s{n}", "source": "test",
                         "type": "session.started", "time": rfc3339(t),
                         "data": {"session_id": f"S{n}", "user_id": f"U{n}",
                                  "source": "paid"}}), partition


def _opened(n: int, t: float, partition: int) -> tuple[bytes, int]:
    return orjson.dumps({"specversion": "1.0", "id": f"o{n}", "source": "test",
                         "type": "ticket.opened", "time": rfc3339(t),
                         "data": {"ticket_id": f"T{n}", "customer_id": "C",
                                  "channel": "email", "priority": "low"}}), partition


def _resolved(n: int, t: float, partition: int) -> tuple[bytes, int]:
    return orjson.dumps({"specversion": "1.0", "id": f"r{n}", "source": "test",
                         "type": "ticket.resolved", "time": rfc3339(t),
                         "data": {"ticket_id": f"T{n}", "agent_id": "A"}}), partition


# Partition 0's first entity falls 30 h behind both partitions' latest events; the
# batch ends with a message of partition 1.
SESSIONS = [_session(1, T0, 0), _session(2, T0 + 30 * H, 0), _session(3, T0 + 30 * H, 1)]
TICKETS = [_opened(1, T0, 0), _resolved(1, T0 + 60, 0), _opened(2, T0 + 30 * H, 0),
           _opened(3, T0 + 30 * H, 1)]


def _feed(family: Any, tables: list[ChangelogTable], messages: list[tuple[bytes, int]],
          *, batched: bool) -> None:
    """As the agents do: point the tables at each message's partition, then handle it."""
    if batched:
        family.begin_batch()
    for raw, partition in messages:
        for table in tables:
            table.partition = partition
        assert family.handle(raw, partition) is None
    if batched:
        family.end_batch()


def _sessions() -> tuple[SessionFamily, list[ChangelogTable]]:
    seen, histories, users = ChangelogTable(), ChangelogTable(), ChangelogTable()
    admission = Admission("cx.sessions", IngestStats(), seen, replay_clock=True,
                          dedupe_horizon=H)
    family = SessionFamily(admission, histories, users, ZoneInfo("UTC"), retention=25 * H)
    return family, [seen, histories, users]


def _tickets() -> tuple[TicketFamily, list[ChangelogTable]]:
    seen, histories = ChangelogTable(), ChangelogTable()
    admission = Admission("cx.tickets", IngestStats(), seen, replay_clock=True,
                          dedupe_horizon=H)
    return TicketFamily(admission, histories, SlaTargets(), retention=25 * H,
                        max_open_age=90 * 86400.0), [seen, histories]


def test_a_batch_end_deletes_expired_sessions_on_their_own_partition() -> None:
    family, (seen, histories, _) = _sessions()
    _feed(family, [seen, histories], SESSIONS, batched=True)
    assert set(histories) == {"S2", "S3"}
    assert histories.deleted() == {"S1": 0}
    # The dedupe chunk of the first event (partition 0, an hour's horizon) went too.
    gone = seen.deleted()
    assert gone and set(gone.values()) == {0} and all(k.startswith("0:") for k in gone)


def test_a_batch_end_deletes_expired_tickets_on_their_own_partition() -> None:
    family, (seen, histories) = _tickets()
    _feed(family, [seen, histories], TICKETS, batched=True)
    assert set(histories) == {"T2", "T3"}
    assert histories.deleted() == {"T1": 0}
    assert seen.deleted() and set(seen.deleted().values()) == {0}


def test_expiring_at_the_batch_end_leaves_what_expiring_per_event_leaves() -> None:
    for make, messages in ((_sessions, SESSIONS), (_tickets, TICKETS)):
        per_event, per_event_tables = make()
        batched, batched_tables = make()
        _feed(per_event, per_event_tables, messages, batched=False)
        _feed(batched, batched_tables, messages, batched=True)
        for alone, together in zip(per_event_tables, batched_tables, strict=True):
            assert dict(alone) == dict(together)
            assert alone.deleted() == together.deleted()
