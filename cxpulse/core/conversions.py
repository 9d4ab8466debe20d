"""Conversion arithmetic (SPEC §2, docs/families.md "Conversions").

Each conversion stands alone, so its "history" is itself, keyed by event id: the
count and the value (integer micro-units, exact) in its bucket, under its source.
The ratio to sessions started is taken at export time from the sessions family.
"""

from __future__ import annotations

from typing import Any

from cxpulse.core.dimensions import source_label
from cxpulse.core.facts import Fact, micro
from cxpulse.core.history_family import NoGauges
from cxpulse.core.windows import bucket
from cxpulse.schemas.events import Event

N_CONVERSIONS, N_VALUE = 0, 1


class ConversionArithmetic(NoGauges):
    n_sums = 2
    n_sketches = 0

    def entry(self, event: Event) -> tuple[str, list[Any]]:
        data = event.data
        return event.id, [event.time, "c", event.id, source_label(data["source"]),
                          micro(float(data["value"]))]

    def facts(self, history: list[list[Any]]) -> list[Fact]:
        t, _, _, source, value = history[0]
        b = bucket(t)
        return [(b, (source,), N_CONVERSIONS, 1), (b, (source,), N_VALUE, value)]
