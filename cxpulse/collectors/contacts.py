"""cx.contacts: queue, waits, abandonment, service level and handle time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import Metric

from cxpulse.collectors.common import FamilyCollector, Windows, add_ratio, gauge, summary_family
from cxpulse.core import contacts as c
from cxpulse.core.contacts import ContactArithmetic
from cxpulse.core.dimensions import CHANNELS
from cxpulse.core.erlang_c import required_agents
from cxpulse.core.facts import Totals
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.windows import WINDOWS
from cxpulse.metrics_text import W24, Samples, SummaryRow, count_text, ratio_text, total


class ContactCollector(FamilyCollector[HistoryFamily]):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_contacts_in_queue", "cx_oldest_queued_contact_age_seconds",
        "cx_contact_wait_seconds", "cx_contact_abandonment_ratio",
        "cx_contact_service_level_ratio", "cx_contacts_answered",
        "cx_contacts_answered_in_target", "cx_contacts_abandoned", "cx_contact_handle_seconds",
        "cx_staffing_required_agents", "cx_contacts_repeat", "cx_contact_repeat_ratio")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        answered = total(s, "cx_contacts_answered", **W24)
        abandoned = total(s, "cx_contacts_abandoned", **W24)
        return [("answered (24h)", count_text(answered)),
                ("service level (24h)",
                 ratio_text(total(s, "cx_contacts_answered_in_target", **W24),
                            answered + abandoned, 100, " %")),
                ("abandonment (24h)", ratio_text(abandoned, answered + abandoned, 100, " %")),
                ("in queue now", count_text(total(s, "cx_contacts_in_queue"))),
                ("average handle time (24h)",
                 ratio_text(total(s, "cx_contact_handle_seconds_sum", **W24),
                            total(s, "cx_contact_handle_seconds_count", **W24), 1, " s")),
                ("repeat contacts (24h)",
                 ratio_text(total(s, "cx_contacts_repeat", **W24), answered, 100, " %"))]

    def series(self, windows: Windows, now: float) -> Iterator[Metric]:
        arithmetic = self.family.arithmetic
        assert isinstance(arithmetic, ContactArithmetic)
        counts, oldest = arithmetic.in_queue(now)
        in_queue = gauge("cx_contacts_in_queue", "Contacts queued and neither answered nor "
                          "abandoned", ["channel"])
        age = gauge("cx_oldest_queued_contact_age_seconds", "now - queued, for the oldest "
                     "contact still in queue", ["channel"])
        for channel in CHANNELS:
            in_queue.add_metric([channel], counts[channel])
            if channel in oldest:
                age.add_metric([channel], oldest[channel])
        yield from (in_queue, age)

        labels = ["window", "channel"]
        answered = gauge("cx_contacts_answered", "Contacts answered in the window", labels)
        in_target = gauge("cx_contacts_answered_in_target", "Contacts answered within the "
                           "service-level target in the window", labels)
        abandoned = gauge("cx_contacts_abandoned", "Contacts abandoned in the window, short "
                           "abandons excluded", labels)
        abandonment = gauge("cx_contact_abandonment_ratio", "abandoned / (answered + "
                             "abandoned); short abandons count in neither", labels)
        service = gauge("cx_contact_service_level_ratio", "answered within the target / "
                         "(answered + abandoned, short abandons excluded)", labels)
        empty = Totals(c.ContactArithmetic.n_sums, c.ContactArithmetic.n_sketches)
        team = self.team_windows("contacts", now)
        waits, handles = [], []
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
                labelled = {"window": window, "channel": channel}
                waits.append((labelled, t.sketches[c.WAIT - c.ContactArithmetic.n_sums],
                              self.team_sketch(team, window, (channel,), 0)))
                handles.append((labelled, t.sketches[c.HANDLE - c.ContactArithmetic.n_sums],
                                self.team_sketch(team, window, (channel,), 1)))
        yield from (answered, in_target, abandoned, abandonment, service)
        if arithmetic.repeats is not None:
            yield from self._repeats(arithmetic.repeats.windows(now), windows)
        yield summary_family("cx_contact_wait_seconds", "answered - queued; _sum / _count is "
                             "the average speed of answer", waits)
        yield summary_family("cx_contact_handle_seconds", "talk + hold + acw of contact.ended, "
                             "in its bucket; _sum / _count is the average handle time", handles)
        if team is not None:
            yield self._staffing(team["1h"], arithmetic.targets)

    @staticmethod
    def _repeats(repeats: Windows, contacts: Windows) -> Iterator[Metric]:
        """Repeats of the customers this worker owns; the ratio's denominator is this
        worker's answered contacts (the team ratio divides the sums over workers)."""
        labels = ["window", "channel"]
        count = gauge("cx_contacts_repeat", "Answered contacts in the window whose "
                      "customer had another answered contact in the 7 days before", labels)
        ratio = gauge("cx_contact_repeat_ratio", "repeat / answered contacts in the window",
                      labels)
        for window in WINDOWS:
            for channel in CHANNELS:
                totals = repeats[window].get((channel,))
                n = totals.sums[0] if totals is not None else 0
                count.add_metric([window, channel], n)
                done = contacts[window].get((channel,))
                add_ratio(ratio, [window, channel], n, done.sums[c.N_ANSWERED] if done else 0)
        yield from (count, ratio)

    @staticmethod
    def _staffing(hour: dict[tuple[str, ...], Totals], targets: c.ContactTargets) -> Metric:
        """Erlang C over the team's last hour (only the team-samples owner knows it)."""
        required = gauge("cx_staffing_required_agents", "Erlang C: fewest agents for the "
                         "service-level goal at the last hour's traffic and mean handle time "
                         "(assumes Poisson arrivals and no abandons)", ["channel"])
        for channel in CHANNELS:
            t = hour.get((channel,))
            if t is None:
                continue
            handle = t.sketches[c.HANDLE - c.ContactArithmetic.n_sums]
            arrivals = t.sketches[c.ARRIVAL - c.ContactArithmetic.n_sums].count
            if handle.count <= 0:
                continue  # SPEC: absent without handle-time samples
            mean_handle = handle.total_us / 1e6 / handle.count
            agents = required_agents(arrivals / 3600 * mean_handle, mean_handle,
                                     targets.service_level, targets.staffing_goal)
            if agents is not None:
                required.add_metric([channel], agents)
        return required

