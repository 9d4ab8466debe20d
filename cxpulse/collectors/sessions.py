"""cx.sessions: active users, sessions, pages, bounces and durations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import Metric

from cxpulse.collectors.common import FamilyCollector, Windows, add_ratio, gauge, summary_family
from cxpulse.core import sessions as s
from cxpulse.core.dimensions import SOURCES
from cxpulse.core.facts import Totals
from cxpulse.core.session_family import SessionFamily
from cxpulse.core.windows import WINDOWS
from cxpulse.metrics_text import W24, Samples, SummaryRow, count_text, ratio_text, total


class SessionCollector(FamilyCollector[SessionFamily]):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_active_users", "cx_sessions_started", "cx_pages_per_session",
        "cx_session_duration_seconds", "cx_bounce_ratio", "cx_page_views",
        "cx_sessions_ended", "cx_sessions_bounced")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        return [("active users (24h)", count_text(total(s, "cx_active_users", **W24))),
                ("sessions started (24h)", count_text(total(s, "cx_sessions_started", **W24))),
                ("bounce (24h)", ratio_text(total(s, "cx_sessions_bounced", **W24),
                                            total(s, "cx_sessions_ended", **W24), 100, " %"))]

    def series(self, windows: Windows, now: float) -> Iterator[Metric]:
        users = gauge("cx_active_users", "Distinct user_id with any cx.sessions event in the "
                       "window", ["window"])
        for window, n in self.family.active_users.counts(now).items():
            users.add_metric([window], n)
        yield users

        labels = ["window", "source"]
        started = gauge("cx_sessions_started", "Sessions started in the window", labels)
        pages = gauge("cx_page_views", "Page views in the window (of sessions whose start "
                       "is known)", labels)
        ended = gauge("cx_sessions_ended", "Sessions ended in the window", labels)
        bounced = gauge("cx_sessions_bounced", "Sessions ended in the window with at most "
                         "one page view", labels)
        per_session = gauge("cx_pages_per_session", "Page views / sessions started, both in "
                             "the window", labels)
        bounce = gauge("cx_bounce_ratio", "Single-page sessions / sessions ended in the "
                        "window", labels)
        empty = Totals(s.SessionArithmetic.n_sums, s.SessionArithmetic.n_sketches)
        team = self.team_windows("sessions", now)
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
                                  self.team_sketch(team, window, (source,), 0)))
        yield from (started, pages, ended, bounced, per_session, bounce)
        yield summary_family("cx_session_duration_seconds", "session.ended - "
                             "session.started, for sessions ended in the window", durations)

