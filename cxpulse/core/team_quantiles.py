"""Team-level quantiles: every worker's duration samples, merged by one owning worker.

Counts and sums add up over workers; quantiles do not. So each worker sends, for
every entity whose duration samples change, the entity's complete current samples
to a one-partition topic. The worker that owns that partition keeps them in a
changelog-backed table keyed by entity and exports the quantile series; the others
export only ``_sum`` and ``_count``. A message replaces the entity's samples, so a
redelivered or repeated one changes nothing (SPEC §3: "a single owning worker per
label set" — here one worker owns every label set).

The customers' complaint samples are binned by local calendar day, not by minute:
their bucket is the day's number (:class:`cxpulse.core.customers.LocalDays`), kept in
an index of its own that the minute windows never advance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from cxpulse.core.facts import Fact, FactIndex, Labels, Totals
from cxpulse.core.windows import WINDOWS, window_buckets

SUMMARIES: dict[str, tuple[str, ...]] = {
    "tickets": ("cx_first_response_seconds", "cx_resolution_seconds", "cx_next_reply_seconds"),
    # The arrivals ride along as samples (one per queued contact, value 0), so the owner
    # knows the team's traffic for cx_staffing_required_agents.
    "contacts": ("cx_contact_wait_seconds", "cx_contact_handle_seconds", "arrivals"),
    "sessions": ("cx_session_duration_seconds",),
    "customers": ("cx_complaint_resolution_seconds",),
}
"""Per family, its sketch fields' names in order (summaries, and the contacts' arrivals)."""
DAY_BINNED = frozenset({"customers"})
"""Families whose sample buckets are local day numbers (windows of whole days)."""


def sample_facts(facts: list[Fact], n_sums: int) -> list[list[Any]]:
    """The duration samples among a family's facts, as JSON-ready lists."""
    return [[b, list(labels), field - n_sums, value] for b, labels, field, value in facts
            if field >= n_sums]


class TeamQuantiles:
    """The owning worker's sketches over ``table``: ``family|entity`` -> samples."""

    def __init__(self, table: MutableMapping[str, Any],
                 owned: Callable[[], bool] = lambda: True) -> None:
        self.table = table
        self.owned = owned
        """Whether this worker owns the samples (the topic's one partition) now."""
        self.indexes = {family: FactIndex(0, len(names)) for family, names in SUMMARIES.items()}

    def receive(self, family: str, entity: str, samples: list[list[Any]]) -> None:
        """Replace one entity's samples (an empty list forgets the entity)."""
        key = f"{family}|{entity}"
        old = self.table.get(key)
        if old == samples:
            return
        index = self.indexes[family]
        if old is not None:
            index.apply(_facts(old), -1)
        if samples:
            self.table[key] = samples
            index.apply(_facts(samples), 1)
        elif old is not None:
            del self.table[key]

    def rebuild(self) -> None:
        for index in self.indexes.values():
            index.clear()
        for key, samples in self.table.items():
            self.indexes[key.partition("|")[0]].apply(_facts(samples), 1)

    def prepare_windows(self, family: str, now: float | None) -> Iterator[None]:
        """The next scrape's windows of ``family`` (on the owner), in steps."""
        if now is not None and family in self.indexes and family not in DAY_BINNED \
                and self.owned():
            yield from self.indexes[family].prepare_windows(now)

    def windows(self, family: str, now: float) -> dict[str, dict[Labels, Totals]]:
        """Per window, the team's sketches by label set, at ``now`` (the family's)."""
        index = self.indexes[family]
        index.advance(now)
        return {name: index.window(window_buckets(now, size)) for name, size in WINDOWS.items()}

    def day_windows(self, family: str, days: dict[str, range]) -> dict[str, dict[Labels, Totals]]:
        """Per window (a range of local day numbers), the team's sketches by label set;
        days before the oldest window are let go."""
        index = self.indexes[family]
        first = min((r.start for r in days.values()), default=None)
        if first is not None and (index.floor is None or first > index.floor):
            index.floor = first  # samples landing before are ignored, as in advance()
            index.sums.drop_before(first)
        return {name: index.window(span) for name, span in days.items()}


def _facts(samples: list[list[Any]]) -> list[Fact]:
    return [(b, tuple(labels), field, value) for b, labels, field, value in samples]
