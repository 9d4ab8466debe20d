"""Repeat contacts (SPEC §2 ``cx_contact_repeat_ratio``, docs/families.md "Contacts").

Contacts are keyed by contact_id, but whether an answered contact is a repeat depends
on the customer's other answered contacts of the last 7 days, wherever they were
processed. So each contacts agent sends every contact's (customer, answer time,
channel) to an internal topic keyed by customer_id and partitioned like the others
(Kafka Streams' repartition topic); the worker that owns a customer's partition keeps
that customer's answers and counts the repeats in the bucket of each answer. A message
replaces its contact's entry (an answer time that moved, a contact no longer
answered), so a repeated or redelivered message changes nothing.

A customer's record is one flat list ``[partition, dropped, settled, t1, h1, c1, t2,
h2, c2, ...]`` (answer time, 64-bit hash of the contact id, channel label), sorted by
time then hash, holding the answers of the repeat window plus a day and two hours
before the newest (what the 24 h window's answers look back on), at most
:data:`MAX_ANSWERS` of them. ``dropped`` is the newest answer time let go (or None),
which is all the oldest kept answer needs to know whether it is a repeat; ``settled``
(``[bucket, channel, repeats, ...]``) keeps the repeats of the answers let go while the
windows still hold their buckets. A customer with more answers (a shared or fake
customer id) costs a bounded record and bounded work per message; what it cannot see
is a change to an answer already let go, or an answer arriving older than all its kept
ones (its repeat is judged against the newest one let go, so it is not counted). The
senders send a batch's answers in time order (:func:`in_time_order`), so this takes
answers out of order by more than 50 of the same customer's.
"""

from __future__ import annotations

import hashlib
from bisect import insort
from collections.abc import MutableMapping
from typing import Any

from cxpulse.core.expiry import ExpiryQueue
from cxpulse.core.facts import Fact, FactIndex, Labels, Totals
from cxpulse.core.windows import WINDOWS, bucket, window_buckets

Answer = tuple[float, int, str]
"""(answer time, contact hash, channel label)."""
N_REPEAT = 0
MAX_ANSWERS = 50
"""Answers kept per customer: 50 contacts answered in 8 days is a hot customer."""
LOOK_BACK_MARGIN = 26 * 3600.0
"""Kept beyond the repeat window: the 24 h window and a partition's lag behind now."""


def contact_hash(contact_id: str) -> int:
    """A signed 64-bit hash of a contact id: collisions within one customer's week of
    contacts are about 1 in 10^17."""
    digest = hashlib.blake2b(contact_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def in_time_order(answers: list[tuple[str, int, float | None, str]]
                  ) -> list[tuple[str, int, float | None, str]]:
    """A batch's (customer, contact, answer time, channel) by answer time (withdrawals,
    None, first): the contacts family refreshes a batch's contacts in any order."""
    return sorted(answers, key=lambda a: -1.0 if a[2] is None else a[2])


def _parse(record: list[Any] | None) -> tuple[float | None, list[Any], list[Answer]]:
    """(newest answer time let go, settled repeats, the kept answers) of a record."""
    if not record:
        return None, [], []
    return record[1], record[2] or [], [(record[i], record[i + 1], record[i + 2])
                                        for i in range(3, len(record), 3)]


def _settled_facts(settled: list[Any]) -> list[Fact]:
    return [(settled[i], (settled[i + 1],), N_REPEAT, settled[i + 2])
            for i in range(0, len(settled), 3)]


def _settle(settled: list[Any], facts: list[Fact], since: int) -> list[Any]:
    """``settled`` plus ``facts``, merged per (bucket, channel), from bucket ``since``."""
    counts: dict[tuple[int, str], int] = {}
    for b, (channel,), _, n in [*_settled_facts(settled), *facts]:
        if b >= since:
            counts[(b, channel)] = counts.get((b, channel), 0) + int(n)
    return [x for (b, channel), n in sorted(counts.items()) for x in (b, channel, n)]


class RepeatContacts:
    """The answered contacts of the customers of the owned partitions, and per bucket
    and channel how many of them are repeats."""

    def __init__(self, table: MutableMapping[str, Any], repeat_window: float) -> None:
        self.table = table
        self.window = repeat_window
        self.keep = repeat_window + LOOK_BACK_MARGIN
        self.index = FactIndex(1)
        self._expiry = ExpiryQueue()

    def receive(self, customer: str, contact: int, answered: float | None, channel: str,
                partition: int) -> None:
        """Replace one contact's answer (None: the contact is not answered)."""
        record = self.table.get(customer)
        dropped, settled, old = _parse(record)
        new = [a for a in old if a[1] != contact]
        if answered is not None:
            insort(new, (answered, contact, channel))
        if new == old:
            return
        kept, still = dropped, settled
        if new:
            oldest = new[-1][0] - self.keep
            cut = 0
            while cut < len(new) and (new[cut][0] < oldest or len(new) - cut > MAX_ANSWERS):
                cut += 1
            if cut:
                still = _settle(settled, self.facts(new[:cut], dropped),
                                bucket(new[-1][0] - LOOK_BACK_MARGIN))
                kept = max(new[cut - 1][0], new[0][0] if dropped is None else dropped)
                new = new[cut:]
        if record is not None:
            self.index.apply(self._record_facts(record), -1)
        if new:
            record = [partition, kept, still or None, *(x for a in new for x in a)]
            self.table[customer] = record
            self.index.apply(self._record_facts(record), 1)
            if not old or new[-1][0] != old[-1][0]:  # else its expiry is queued already
                self._expiry.push(partition, new[-1][0] + self.keep, customer)
        else:
            del self.table[customer]

    def facts(self, answers: list[Answer], dropped: float | None = None) -> list[Fact]:
        """A repeat for each answer with an earlier one (strictly) within the window;
        ``dropped``: the newest earlier answer no longer kept."""
        out: list[Fact] = []
        earlier = dropped  # the latest answer time strictly before the current one
        for i, (t, _, channel) in enumerate(answers):
            if i and answers[i - 1][0] < t:
                earlier = answers[i - 1][0]
            if earlier is not None and t - self.window <= earlier < t:
                out.append((bucket(t), (channel,), N_REPEAT, 1))
        return out

    def _record_facts(self, record: list[Any]) -> list[Fact]:
        dropped, settled, answers = _parse(record)
        return [*_settled_facts(settled), *self.facts(answers, dropped)]

    def expire(self, partition: int, now: float) -> int:
        """Forget the customers of ``partition`` whose newest answer is too old to be
        looked back on from now (the caller sends the deletions to ``partition``)."""
        forgotten = 0
        for customer in self._expiry.pop_due(partition, now):
            record = self.table.get(customer)
            if record is not None and record[-3] + self.keep < now:
                self.index.apply(self._record_facts(record), -1)
                del self.table[customer]
                forgotten += 1
        return forgotten

    def rebuild(self, partitions: set[int]) -> None:
        """After recovery or a revoke: derive the buckets from the owned records."""
        self.index.clear()
        self._expiry.clear()
        for customer, record in self.table.items():
            if record and record[0] in partitions:
                self.index.apply(self._record_facts(record), 1)
                self._expiry.push(record[0], record[-3] + self.keep, customer)

    def windows(self, now: float) -> dict[str, dict[Labels, Totals]]:
        """Per window, the repeats by channel at ``now``."""
        self.index.advance(now)
        return {name: self.index.window(window_buckets(now, size))
                for name, size in WINDOWS.items()}
