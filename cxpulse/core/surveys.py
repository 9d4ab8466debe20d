"""Survey arithmetic (SPEC §2, docs/families.md "Surveys").

Each answer stands alone (keyed by event id). Facts under (survey, channel): the
answer, its score, and for NPS promoters (9-10) and detractors (0-6), for CSAT the
satisfied answers (4-5). Out-of-range scores never get here: the schema rejects them.
"""

from __future__ import annotations

from typing import Any

from cxpulse.core.dimensions import channel_label
from cxpulse.core.facts import Fact
from cxpulse.core.history_family import NoGauges
from cxpulse.core.windows import bucket
from cxpulse.schemas.events import Event

N_ANSWERS, N_SCORE, N_PROMOTERS, N_DETRACTORS, N_SATISFIED = 0, 1, 2, 3, 4


class SurveyArithmetic(NoGauges):
    n_sums = 5
    n_sketches = 0

    def entry(self, event: Event) -> tuple[str, list[Any]]:
        data = event.data
        return event.id, [event.time, "v", event.id, str(data["survey"]),
                          channel_label(data["channel"]), int(data["score"])]

    def facts(self, history: list[list[Any]]) -> list[Fact]:
        t, _, _, survey, channel, score = history[0]
        b = bucket(t)
        labels = (survey, channel)
        facts: list[Fact] = [(b, labels, N_ANSWERS, 1), (b, labels, N_SCORE, score)]
        if survey == "nps" and score >= 9:
            facts.append((b, labels, N_PROMOTERS, 1))
        elif survey == "nps" and score <= 6:
            facts.append((b, labels, N_DETRACTORS, 1))
        elif survey == "csat" and score >= 4:
            facts.append((b, labels, N_SATISFIED, 1))
        return facts
