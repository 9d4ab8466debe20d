"""cx.surveys: NPS, CSAT, CES and their components."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import Metric

from cxpulse.collectors.common import FamilyCollector, Windows, add_ratio, field_sum, gauge
from cxpulse.core import surveys as q
from cxpulse.core.dimensions import CHANNELS, SURVEYS
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.windows import WINDOWS
from cxpulse.metrics_text import W24, Samples, SummaryRow, count_text, ratio_text, total


class SurveyCollector(FamilyCollector[HistoryFamily]):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_nps", "cx_csat_ratio", "cx_ces_mean", "cx_survey_answers",
        "cx_survey_promoters", "cx_survey_detractors", "cx_survey_satisfied",
        "cx_survey_score_sum")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        nps = total(s, "cx_survey_answers", survey="nps", **W24)
        csat = total(s, "cx_survey_answers", survey="csat", **W24)
        return [("answers (24h)", count_text(total(s, "cx_survey_answers", **W24))),
                ("NPS (24h)", ratio_text(total(s, "cx_survey_promoters", **W24)
                                         - total(s, "cx_survey_detractors", **W24), nps, 100)),
                ("CSAT (24h)", ratio_text(total(s, "cx_survey_satisfied", **W24), csat, 100, " %"))]

    def series(self, windows: Windows, now: float) -> Iterator[Metric]:
        answers = gauge("cx_survey_answers", "Survey answers in the window",
                         ["window", "survey", "channel"])
        scores = gauge("cx_survey_score_sum", "Sum of survey scores in the window",
                        ["window", "survey", "channel"])
        labels = ["window", "channel"]
        promoters = gauge("cx_survey_promoters", "NPS answers of 9 or 10", labels)
        detractors = gauge("cx_survey_detractors", "NPS answers of 0 to 6", labels)
        satisfied = gauge("cx_survey_satisfied", "CSAT answers of 4 or 5", labels)
        nps = gauge("cx_nps", "100 x (promoters - detractors) / NPS answers", labels)
        csat = gauge("cx_csat_ratio", "CSAT answers of 4 or 5 / CSAT answers", labels)
        ces = gauge("cx_ces_mean", "Mean CES score", labels)
        for window in WINDOWS:
            for channel in CHANNELS:
                n: dict[str, int] = {}
                for survey in SURVEYS:
                    n[survey] = field_sum(windows, window, q.N_ANSWERS, (survey, channel))
                    answers.add_metric([window, survey, channel], n[survey])
                    scores.add_metric([window, survey, channel],
                                      field_sum(windows, window, q.N_SCORE, (survey, channel)))
                key = [window, channel]
                n_pro = field_sum(windows, window, q.N_PROMOTERS, ("nps", channel))
                n_det = field_sum(windows, window, q.N_DETRACTORS, ("nps", channel))
                n_sat = field_sum(windows, window, q.N_SATISFIED, ("csat", channel))
                promoters.add_metric(key, n_pro)
                detractors.add_metric(key, n_det)
                satisfied.add_metric(key, n_sat)
                add_ratio(nps, key, 100 * (n_pro - n_det), n["nps"])
                add_ratio(csat, key, n_sat, n["csat"])
                ces_sum = field_sum(windows, window, q.N_SCORE, ("ces", channel))
                add_ratio(ces, key, ces_sum, n["ces"])
        yield from (answers, scores, promoters, detractors, satisfied, nps, csat, ces)
