"""Scrape-time metric families of contacts, sessions, conversions, surveys and costs.

Each family's windows end at its own topic's "now"; a ratio across two topics takes
each part at its own topic's now (docs/families.md). Counts and sums are exported
for every label set of the allow-lists; ratios and means only with a denominator.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cxpulse.collector_guard import CollectorGuard
from cxpulse.core import contacts as c
from cxpulse.core import conversions as v
from cxpulse.core import costs as k
from cxpulse.core import sessions as s
from cxpulse.core import surveys as q
from cxpulse.core.contacts import ContactArithmetic
from cxpulse.core.dimensions import CHANNELS, SOURCES, SURVEYS
from cxpulse.core.facts import MICRO, Labels, Totals
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.session_family import SessionFamily
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.tickets import N_RESOLVED, TicketIndex
from cxpulse.core.windows import WINDOWS, window_buckets
from cxpulse.exporter import add_ratio, summary_family, team_sketch, team_sketches

Windows = dict[str, dict[Labels, Totals]]


def _windows(family: HistoryFamily) -> Windows | None:
    now = family.now()
    if now is None:
        return None
    family.tick()
    return {name: family.index.window(window_buckets(now, size))
            for name, size in WINDOWS.items()}


def _sum(windows: Windows, window: str, field: int,
         match: Sequence[str | None] = ()) -> int:
    """Sum of a field over the label sets matching ``match`` (None: any value)."""
    total = 0
    for labels, totals in windows[window].items():
        if all(m is None or m == value for m, value in zip(match, labels, strict=False)):
            total += totals.sums[field]
    return total


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def _ticket_resolutions(index: TicketIndex) -> dict[str, int] | None:
    if index.now is None:
        return None
    buckets = index.sums.buckets
    return {name: sum(t.counts[N_RESOLVED] for b in window_buckets(index.now, size)
                      for t in buckets.get(b, {}).values())
            for name, size in WINDOWS.items()}


class FamilyCollector(Collector):
    """Every SPEC §2 series of the five non-ticket families, plus their components."""

    def __init__(self, contacts: HistoryFamily, sessions: SessionFamily,
                 conversions: HistoryFamily, surveys: HistoryFamily, costs: HistoryFamily,
                 tickets: TicketIndex, team: TeamQuantiles | None = None,
                 guard: CollectorGuard | None = None) -> None:
        self.team = team
        self.guard = guard or CollectorGuard()
        self.contacts = contacts
        self.sessions = sessions
        self.conversions = conversions
        self.surveys = surveys
        self.costs = costs
        self.tickets = tickets

    def collect(self) -> Iterator[Metric]:
        # Each family alone (cxpulse/collector_guard.py); a cross-family ratio is
        # left out with the family that failed to give its windows.
        run = self.guard.run
        sessions: list[Windows | None] = [None]
        conversions: list[Windows | None] = [None]

        def windows(family: HistoryFamily, out: list[Windows | None]) -> Iterator[Metric]:
            out[0] = _windows(family)
            return iter(())

        run("sessions", lambda: windows(self.sessions, sessions))
        run("conversions", lambda: windows(self.conversions, conversions))
        yield from run("contacts", self._contacts)
        yield from run("sessions", lambda: self._sessions(sessions[0]))
        yield from run("conversions", lambda: self._conversions(conversions[0], sessions[0]))
        yield from run("surveys", self._surveys)
        yield from run("costs", lambda: self._costs(conversions[0]))

    def _contacts(self) -> Iterator[Metric]:
        windows = _windows(self.contacts)
        now = self.contacts.now()
        if windows is None or now is None:
            return
        arithmetic = self.contacts.arithmetic
        assert isinstance(arithmetic, ContactArithmetic)
        counts, oldest = arithmetic.in_queue(now)
        in_queue = _gauge("cx_contacts_in_queue", "Contacts queued and neither answered nor "
                          "abandoned", ["channel"])
        age = _gauge("cx_oldest_queued_contact_age_seconds", "now - queued, for the oldest "
                     "contact still in queue", ["channel"])
        for channel in CHANNELS:
            in_queue.add_metric([channel], counts[channel])
            if channel in oldest:
                age.add_metric([channel], oldest[channel])
        yield from (in_queue, age)

        labels = ["window", "channel"]
        answered = _gauge("cx_contacts_answered", "Contacts answered in the window", labels)
        in_target = _gauge("cx_contacts_answered_in_target", "Contacts answered within the "
                           "service-level target in the window", labels)
        abandoned = _gauge("cx_contacts_abandoned", "Contacts abandoned in the window, short "
                           "abandons excluded", labels)
        abandonment = _gauge("cx_contact_abandonment_ratio", "abandoned / (answered + "
                             "abandoned); short abandons count in neither", labels)
        service = _gauge("cx_contact_service_level_ratio", "answered within the target / "
                         "(answered + abandoned, short abandons excluded)", labels)
        empty = Totals(c.ContactArithmetic.n_sums, c.ContactArithmetic.n_sketches)
        team = team_sketches(self.team, "contacts", now)
        waits = []
        for window in WINDOWS:
            for channel in CHANNELS:
                t = windows[window].get((channel,), empty)
                n_ans, n_ok, n_ab = (t.sums[c.N_ANSWERED], t.sums[c.N_IN_TARGET],
                                     t.sums[c.N_ABANDONED])
                key = [window, channel]
                answered.add_metric(key, n_ans)
                in_target.add_metric(key, n_ok)
                abandoned.add_metric(key, n_ab)
                add_ratio(abandonment, key, n_ab, n_ans + n_ab)
                add_ratio(service, key, n_ok, n_ans + n_ab)
                waits.append(({"window": window, "channel": channel},
                              t.sketches[c.WAIT - c.ContactArithmetic.n_sums],
                              team_sketch(team, window, (channel,), 0)))
        yield from (answered, in_target, abandoned, abandonment, service)
        yield summary_family("cx_contact_wait_seconds", "answered - queued; _sum / _count is "
                             "the average speed of answer", waits)

    def _sessions(self, windows: Windows | None) -> Iterator[Metric]:
        now = self.sessions.now()
        if windows is None or now is None:
            return
        users = _gauge("cx_active_users", "Distinct user_id with any cx.sessions event in the "
                       "window", ["window"])
        for window, n in self.sessions.active_users.counts(now).items():
            users.add_metric([window], n)
        yield users

        labels = ["window", "source"]
        started = _gauge("cx_sessions_started", "Sessions started in the window", labels)
        pages = _gauge("cx_page_views", "Page views in the window (of sessions whose start "
                       "is known)", labels)
        ended = _gauge("cx_sessions_ended", "Sessions ended in the window", labels)
        bounced = _gauge("cx_sessions_bounced", "Sessions ended in the window with at most "
                         "one page view", labels)
        per_session = _gauge("cx_pages_per_session", "Page views / sessions started, both in "
                             "the window", labels)
        bounce = _gauge("cx_bounce_ratio", "Single-page sessions / sessions ended in the "
                        "window", labels)
        empty = Totals(s.SessionArithmetic.n_sums, s.SessionArithmetic.n_sketches)
        team = team_sketches(self.team, "sessions", now)
        durations = []
        for window in WINDOWS:
            for source in SOURCES:
                t = windows[window].get((source,), empty)
                key = [window, source]
                n_started, n_pages = t.sums[s.N_STARTED], t.sums[s.N_PAGES]
                n_ended, n_bounced = t.sums[s.N_ENDED], t.sums[s.N_BOUNCED]
                started.add_metric(key, n_started)
                pages.add_metric(key, n_pages)
                ended.add_metric(key, n_ended)
                bounced.add_metric(key, n_bounced)
                add_ratio(per_session, key, n_pages, n_started)
                add_ratio(bounce, key, n_bounced, n_ended)
                durations.append(({"window": window, "source": source},
                                  t.sketches[s.DURATION - s.SessionArithmetic.n_sums],
                                  team_sketch(team, window, (source,), 0)))
        yield from (started, pages, ended, bounced, per_session, bounce)
        yield summary_family("cx_session_duration_seconds", "session.ended - "
                             "session.started, for sessions ended in the window", durations)

    def _conversions(self, windows: Windows | None, sessions: Windows | None) -> Iterator[Metric]:
        if windows is None:
            return
        labels = ["window", "source"]
        count = _gauge("cx_conversions", "Conversions in the window", labels)
        value = _gauge("cx_conversion_value", "Sum of conversion values in the window", labels)
        ratio = _gauge("cx_conversion_ratio", "Conversions / sessions started, same window "
                       "and source", labels)
        for window in WINDOWS:
            for source in SOURCES:
                n = _sum(windows, window, v.N_CONVERSIONS, (source,))
                count.add_metric([window, source], n)
                value.add_metric([window, source],
                                 _sum(windows, window, v.N_VALUE, (source,)) / MICRO)
                if sessions is not None:
                    add_ratio(ratio, [window, source], n,
                              _sum(sessions, window, s.N_STARTED, (source,)))
        yield from (count, value, ratio)

    def _surveys(self) -> Iterator[Metric]:
        windows = _windows(self.surveys)
        if windows is None:
            return
        answers = _gauge("cx_survey_answers", "Survey answers in the window",
                         ["window", "survey", "channel"])
        scores = _gauge("cx_survey_score_sum", "Sum of survey scores in the window",
                        ["window", "survey", "channel"])
        labels = ["window", "channel"]
        promoters = _gauge("cx_survey_promoters", "NPS answers of 9 or 10", labels)
        detractors = _gauge("cx_survey_detractors", "NPS answers of 0 to 6", labels)
        satisfied = _gauge("cx_survey_satisfied", "CSAT answers of 4 or 5", labels)
        nps = _gauge("cx_nps", "100 x (promoters - detractors) / NPS answers", labels)
        csat = _gauge("cx_csat_ratio", "CSAT answers of 4 or 5 / CSAT answers", labels)
        ces = _gauge("cx_ces_mean", "Mean CES score", labels)
        for window in WINDOWS:
            for channel in CHANNELS:
                n: dict[str, int] = {}
                for survey in SURVEYS:
                    n[survey] = _sum(windows, window, q.N_ANSWERS, (survey, channel))
                    answers.add_metric([window, survey, channel], n[survey])
                    scores.add_metric([window, survey, channel],
                                      _sum(windows, window, q.N_SCORE, (survey, channel)))
                key = [window, channel]
                n_pro = _sum(windows, window, q.N_PROMOTERS, ("nps", channel))
                n_det = _sum(windows, window, q.N_DETRACTORS, ("nps", channel))
                n_sat = _sum(windows, window, q.N_SATISFIED, ("csat", channel))
                promoters.add_metric(key, n_pro)
                detractors.add_metric(key, n_det)
                satisfied.add_metric(key, n_sat)
                add_ratio(nps, key, 100 * (n_pro - n_det), n["nps"])
                add_ratio(csat, key, n_sat, n["csat"])
                add_ratio(ces, key, _sum(windows, window, q.N_SCORE, ("ces", channel)), n["ces"])
        yield from (answers, scores, promoters, detractors, satisfied, nps, csat, ces)

    def _costs(self, conversions: Windows | None) -> Iterator[Metric]:
        windows = _windows(self.costs)
        if windows is None:
            return
        labels = ["window", "source"]
        ads = _gauge("cx_ads_cost", "Ads cost in the window", labels)
        clicks = _gauge("cx_ad_clicks", "Ad clicks in the window", labels)
        service = _gauge("cx_service_cost", "Service cost in the window", ["window"])
        per_click = _gauge("cx_cost_per_click", "Ads cost / clicks", labels)
        per_conversion = _gauge("cx_cost_per_conversion", "Ads cost / conversions", labels)
        per_resolution = _gauge("cx_cost_per_resolution", "Service cost / ticket "
                                "resolutions", ["window"])
        resolutions = _ticket_resolutions(self.tickets)
        for window in WINDOWS:
            for source in SOURCES:
                cost = _sum(windows, window, k.N_AMOUNT, ("ads", source)) / MICRO
                n_clicks = _sum(windows, window, k.N_CLICKS, ("ads", source))
                ads.add_metric([window, source], cost)
                clicks.add_metric([window, source], n_clicks)
                add_ratio(per_click, [window, source], cost, n_clicks)
                if conversions is not None:
                    add_ratio(per_conversion, [window, source], cost,
                              _sum(conversions, window, v.N_CONVERSIONS, (source,)))
            service_cost = _sum(windows, window, k.N_AMOUNT, ("service",)) / MICRO
            service.add_metric([window], service_cost)
            if resolutions is not None:
                add_ratio(per_resolution, [window], service_cost, resolutions[window])
        yield from (ads, clicks, service, per_click, per_conversion, per_resolution)

