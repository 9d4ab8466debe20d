"""Cost arithmetic (SPEC §2, docs/families.md "Costs").

Each cost record stands alone (keyed by event id). Facts under (kind, source): the
amount in integer micro-units (exact) and, for ads, the clicks. The per-click,
per-conversion and per-resolution ratios are taken at export time.
"""

from __future__ import annotations

from typing import Any

from cxpulse.core.dimensions import source_label
from cxpulse.core.facts import Fact, micro
from cxpulse.core.history_family import NoGauges
from cxpulse.core.windows import bucket
from cxpulse.schemas.events import Event

N_AMOUNT, N_CLICKS = 0, 1


class CostArithmetic(NoGauges):
    n_sums = 2
    n_sketches = 0

    def entry(self, event: Event) -> tuple[str, list[Any]]:
        data = event.data
        clicks = int(data.get("clicks", 0)) if data["kind"] == "ads" else 0
        return event.id, [event.time, "k", event.id, str(data["kind"]),
                          source_label(data["source"]), micro(float(data["amount"])), clicks]

    def facts(self, history: list[list[Any]]) -> list[Fact]:
        t, _, _, kind, source, amount, clicks = history[0]
        b = bucket(t)
        labels = (kind, source)
        return [(b, labels, N_AMOUNT, amount), (b, labels, N_CLICKS, clicks)]
