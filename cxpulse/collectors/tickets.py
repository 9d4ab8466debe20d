"""cx.tickets: volumes, response and resolution times, SLAs, backlog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from cxpulse.collectors.common import FamilySeries, add_ratio, summary_family
from cxpulse.core.dimensions import CHANNELS
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.core.ticket_family import TicketFamily
from cxpulse.core.ticket_gauges import WITHIN
from cxpulse.core.tickets import (
    ALL_LABELS,
    MET_BREACHED,
    N_FCR,
    N_OPENED,
    N_REOPENED,
    N_RESOLVED,
    SLAS,
    BucketTotals,
    TicketIndex,
)
from cxpulse.metrics_text import W24, Samples, SummaryRow, count_text, ratio_text, total


class TicketCollector(FamilySeries):
    """Every ticket metric of SPEC §2, at the index's "now"."""

    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_tickets_opened", "cx_tickets_resolved", "cx_tickets_open",
        "cx_first_response_seconds", "cx_resolution_seconds",
        "cx_first_contact_resolution_ratio", "cx_reopen_ratio",
        "cx_first_contact_resolutions", "cx_tickets_reopened", "cx_sla_breaches_total",
        "cx_tickets_in_breach", "cx_sla_attainment_ratio", "cx_sla_met", "cx_sla_breached",
        "cx_oldest_unanswered_ticket_age_seconds", "cx_next_reply_seconds",
        "cx_tickets_paused", "cx_sla_at_risk_tickets", "cx_sla_next_breach_seconds")

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        met, breached = total(s, "cx_sla_met", **W24), total(s, "cx_sla_breached", **W24)
        return [("opened (24h)", count_text(total(s, "cx_tickets_opened", **W24))),
                ("resolved (24h)", count_text(total(s, "cx_tickets_resolved", **W24))),
                ("backlog now", count_text(total(s, "cx_tickets_open"))),
                ("first response mean (24h)",
                 ratio_text(total(s, "cx_first_response_seconds_sum", **W24),
                            total(s, "cx_first_response_seconds_count", **W24), 1 / 60, " min")),
                ("SLA attainment (24h)", ratio_text(met, met + breached, 100, " %")),
                ("in breach now", count_text(total(s, "cx_tickets_in_breach"))),
                ("targets at risk within 1h", count_text(total(s, "cx_sla_at_risk_tickets",
                                                       within="1h"))),
                ("paused now", count_text(total(s, "cx_tickets_paused")))]

    def __init__(self, family: TicketFamily, team: TeamQuantiles | None = None) -> None:
        self.index: TicketIndex = family.index
        self.team = team

    def collect(self) -> Iterator[Metric]:
        snap = self.index.snapshot()
        if snap is None:
            return
        empty = BucketTotals()

        def rows() -> Iterator[tuple[str, str, str, BucketTotals]]:
            for window, totals in snap.windows.items():
                for channel, priority in ALL_LABELS:
                    yield window, channel, priority, totals.get((channel, priority), empty)

        opened = GaugeMetricFamily("cx_tickets_opened", "Tickets opened in the window",
                                   labels=["window", "channel", "priority"])
        resolved = GaugeMetricFamily("cx_tickets_resolved", "Resolutions in the window",
                                     labels=["window", "channel", "priority"])
        attainment = GaugeMetricFamily(
            "cx_sla_attainment_ratio", "Targets met / (met + breached) in the window",
            labels=["window", "sla", "channel", "priority"])
        sla_labels = ["window", "sla", "channel", "priority"]
        met_family = GaugeMetricFamily("cx_sla_met", "SLA targets met in the window",
                                       labels=sla_labels)
        breached_family = GaugeMetricFamily(
            "cx_sla_breached", "SLA targets breached in the window (at their deadline)",
            labels=sla_labels)
        for window, channel, priority, t in rows():
            labels = [window, channel, priority]
            opened.add_metric(labels, t.counts[N_OPENED])
            resolved.add_metric(labels, t.counts[N_RESOLVED])
            for sla, (met, breached) in zip(SLAS, MET_BREACHED, strict=True):
                sla_key = [window, sla, channel, priority]
                met_family.add_metric(sla_key, t.counts[met])
                breached_family.add_metric(sla_key, t.counts[breached])
                add_ratio(attainment, sla_key, t.counts[met],
                          t.counts[met] + t.counts[breached])
        yield from (opened, resolved, attainment, met_family, breached_family)

        team = self.team_windows("tickets", snap.now)
        yield summary_family("cx_first_response_seconds", "First counted response - opened",
                             [({"window": w, "channel": c, "priority": p}, t.first_response,
                               self.team_sketch(team, w, (c, p), 0)) for w, c, p, t in rows()])
        yield summary_family("cx_resolution_seconds", "Resolved - opened (original open)",
                             [({"window": w, "channel": c, "priority": p}, t.resolution,
                               self.team_sketch(team, w, (c, p), 1)) for w, c, p, t in rows()])
        yield summary_family("cx_next_reply_seconds", "Earliest unanswered customer reply - "
                             "the next counted response",
                             [({"window": w, "channel": c, "priority": p}, t.next_reply,
                               self.team_sketch(team, w, (c, p), 2)) for w, c, p, t in rows()])

        fcr = GaugeMetricFamily("cx_first_contact_resolution_ratio", "Resolutions with exactly "
                                "one public agent response and no earlier reopen / resolutions",
                                labels=["window", "channel"])
        reopen = GaugeMetricFamily("cx_reopen_ratio", "Reopens / resolutions in the window",
                                   labels=["window", "channel"])
        fcr_count = GaugeMetricFamily("cx_first_contact_resolutions", "Resolutions with "
                                      "exactly one public agent response and no earlier reopen",
                                      labels=["window", "channel"])
        reopened = GaugeMetricFamily("cx_tickets_reopened", "Reopens in the window",
                                     labels=["window", "channel"])
        for window, totals in snap.windows.items():
            for channel in CHANNELS:
                per_channel = [t for (c, _), t in totals.items() if c == channel]
                resolutions = sum(t.counts[N_RESOLVED] for t in per_channel)
                first_contact = sum(t.counts[N_FCR] for t in per_channel)
                reopens = sum(t.counts[N_REOPENED] for t in per_channel)
                fcr_count.add_metric([window, channel], first_contact)
                reopened.add_metric([window, channel], reopens)
                add_ratio(fcr, [window, channel], first_contact, resolutions)
                add_ratio(reopen, [window, channel], reopens, resolutions)
        yield from (fcr, reopen, fcr_count, reopened)

        gauges = snap.gauges
        backlog = GaugeMetricFamily("cx_tickets_open", "Backlog now: opened and not resolved",
                                    labels=["channel", "priority"])
        oldest = GaugeMetricFamily("cx_oldest_unanswered_ticket_age_seconds",
                                   "now - opened, for the oldest open ticket without a first "
                                   "response", labels=["channel", "priority"])
        in_breach = GaugeMetricFamily("cx_tickets_in_breach", "Unresolved tickets past that "
                                      "deadline now", labels=["sla", "channel", "priority"])
        breaches = CounterMetricFamily("cx_sla_breaches", "SLA breaches, counted once at "
                                       "their deadline", labels=["sla", "channel", "priority"])
        paused = GaugeMetricFamily("cx_tickets_paused", "Open tickets whose status is pending "
                                   "or on_hold now", labels=["channel", "priority"])
        at_risk = GaugeMetricFamily("cx_sla_at_risk_tickets", "Running targets (not paused, "
                                    "met or breached) due within that much of now",
                                    labels=["sla", "channel", "priority", "within"])
        next_breach = GaugeMetricFamily("cx_sla_next_breach_seconds", "Min over running "
                                        "targets of deadline - now",
                                        labels=["sla", "channel", "priority"])
        for channel, priority in ALL_LABELS:
            pair = (channel, priority)
            backlog.add_metric([channel, priority], gauges.open[pair])
            paused.add_metric([channel, priority], gauges.paused[pair])
            if pair in gauges.oldest_unanswered_age:
                oldest.add_metric([channel, priority], gauges.oldest_unanswered_age[pair])
            for sla in SLAS:
                key = (sla, channel, priority)
                in_breach.add_metric(list(key), gauges.in_breach[key])
                breaches.add_metric(list(key), snap.breaches[key])
                for within, _ in WITHIN:
                    at_risk.add_metric([*key, within], gauges.at_risk[(*key, within)])
                if key in gauges.next_breach:
                    next_breach.add_metric(list(key), gauges.next_breach[key])
        yield from (backlog, oldest, in_breach, breaches, paused, at_risk, next_breach)
