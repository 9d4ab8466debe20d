"""Web session arithmetic (SPEC §2, docs/families.md "Sessions").

A session's history holds its start, page views and end. Facts: the start in its
bucket, each page view in its own bucket, and at the end's bucket the end, the
duration sample and, for sessions with at most one page view, a bounce. All under
the start's source, so nothing is counted before the start is known.
"""

from __future__ import annotations

from typing import Any

from cxpulse.core.dimensions import source_label
from cxpulse.core.facts import Fact
from cxpulse.core.history_family import NoGauges
from cxpulse.core.sorted_history import KIND, TIME
from cxpulse.core.windows import bucket
from cxpulse.schemas.events import Event

STARTED, PAGE, ENDED = "s", "p", "e"
SOURCE = 3
"""The field of a ``STARTED`` entry after time, kind and id."""

N_STARTED, N_PAGES, N_ENDED, N_BOUNCED = 0, 1, 2, 3
DURATION = 4


class SessionArithmetic(NoGauges):
    """Entries and facts of ``cx.sessions`` (distinct users: :mod:`active_users`)."""

    n_sums = 4
    n_sketches = 1

    def entry(self, event: Event) -> tuple[str, list[Any]]:
        data = event.data
        key = str(data["session_id"])
        if event.type == "session.started":
            return key, [event.time, STARTED, event.id, source_label(data["source"])]
        return key, [event.time, PAGE if event.type == "page.viewed" else ENDED, event.id]

    def facts(self, history: list[list[Any]]) -> list[Fact]:
        start = end = None
        pages: list[float] = []
        for e in history:  # one pass: a long session is re-read at each of its pages
            kind = e[KIND]
            if kind == PAGE:
                pages.append(e[TIME])
            elif kind == STARTED:
                start = start or e
            elif kind == ENDED:
                end = end or e
        if start is None:
            return []
        labels = (start[SOURCE],)
        facts: list[Fact] = [(bucket(start[TIME]), labels, N_STARTED, 1)]
        facts += [(bucket(t), labels, N_PAGES, 1) for t in pages]
        if end is not None:
            b = bucket(end[TIME])
            facts.append((b, labels, N_ENDED, 1))
            facts.append((b, labels, DURATION, max(0.0, end[TIME] - start[TIME])))
            if len(pages) <= 1:
                facts.append((b, labels, N_BOUNCED, 1))
        return facts
