"""Survey answers: NPS, CSAT and CES with realistic, skewed score distributions."""

from __future__ import annotations

from cxpulse.simulate.base import Timed, Traffic, pick

SURVEY_MIX = {"nps": 0.5, "csat": 0.35, "ces": 0.15}
SCORES = {
    "nps": {str(s): w for s, w in enumerate((2, 1, 1, 2, 2, 4, 6, 10, 18, 24, 30))},
    "csat": {"1": 6, "2": 7, "3": 15, "4": 37, "5": 35},
    "ces": {"1": 5, "2": 10, "3": 15, "4": 20, "5": 25, "6": 15, "7": 10},
}
CHANNEL_MIX = {"email": 0.4, "chat": 0.3, "phone": 0.2, "web": 0.1}


class SurveyTraffic(Traffic):
    family = "survey"
    source = "simulator/survey"

    def life(self, t: float) -> list[Timed]:
        rng = self.rng
        self.next_entity()
        survey = pick(rng, SURVEY_MIX)
        return [self.event("survey.answered", t, {
            "survey": survey, "score": int(pick(rng, SCORES[survey])),
            "customer_id": f"C-{rng.randrange(50_000)}", "channel": pick(rng, CHANNEL_MIX)})]
