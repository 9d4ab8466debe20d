"""cx.customers: customers, recurring revenue, referrals and complaints over calendar days.

Every ratio is also exported as its components (``cx_customers_at_start``,
``cx_customers_retained``, ``cx_mrr_at_start``, …): they add up over workers, so
the recording rules give the team's ratios. The complaint resolution quantiles are
the team's, from the worker that owns the team samples (:mod:`cxpulse.core.team_quantiles`,
by local day); every worker exports its own ``_sum`` and ``_count``.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from typing import ClassVar

from prometheus_client.core import GaugeMetricFamily, Metric

from cxpulse.collectors.common import FamilySeries, add_ratio, gauge, summary_family
from cxpulse.core import customers as c
from cxpulse.core.customer_family import CustomerFamily
from cxpulse.core.dimensions import CHANNELS, SOURCES
from cxpulse.core.sketch import Sketch
from cxpulse.core.team_quantiles import TeamQuantiles
from cxpulse.metrics_text import Samples, SummaryRow, count_text, money_text, ratio_text, total

D30 = {"window": "30d"}


class CustomerCollector(FamilySeries):
    METRICS: ClassVar[tuple[str, ...]] = (
        "cx_customers_active", "cx_mrr", "cx_signups", "cx_customers_new",
        "cx_customer_retention_ratio", "cx_customer_churn_ratio", "cx_revenue_retention_ratio",
        "cx_customer_lifetime_value", "cx_referrals_sent", "cx_referred_signups",
        "cx_viral_coefficient", "cx_complaints_opened", "cx_complaints_open",
        "cx_complaint_resolution_seconds", "cx_complaints_closed_within_ratio",
        "cx_complaint_upheld_ratio", "cx_complaints_per_1000_customers",
        "cx_customers_at_start", "cx_customers_retained", "cx_mrr_at_start",
        "cx_mrr_now_of_start", "cx_mrr_contraction", "cx_complaints_closed",
        "cx_complaints_closed_within", "cx_complaints_upheld", "cx_gross_margin_ratio")

    def __init__(self, family: CustomerFamily, team: TeamQuantiles | None = None) -> None:
        super().__init__(family, team)
        self.family = family

    @staticmethod
    def summary(s: Samples) -> list[SummaryRow]:
        at_start = total(s, "cx_customers_at_start", **D30)
        return [("active customers", count_text(total(s, "cx_customers_active"))),
                ("MRR", money_text(total(s, "cx_mrr"))),
                ("churn (30d)", ratio_text(at_start - total(s, "cx_customers_retained", **D30),
                                           at_start, 100, " %")),
                ("open complaints", count_text(total(s, "cx_complaints_open")))]

    def collect(self) -> Iterator[Metric]:
        today = self.family.today()
        if today is not None:
            yield from self.series(today)

    def series(self, today: int) -> Iterator[Metric]:
        t = self.family.totals
        active_now = int(t.current[(c.ACTIVE_NOW, "")])
        mrr_now = int(t.current[(c.MRR_NOW, "")])
        yield GaugeMetricFamily("cx_customers_active", "Customers with a running subscription now",
                                value=active_now)
        yield GaugeMetricFamily("cx_mrr", "Monthly recurring revenue of the running subscriptions",
                                value=mrr_now / c.MICROS)
        # The setting, so the recording rules' team lifetime value uses the same margin.
        yield GaugeMetricFamily("cx_gross_margin_ratio", "customers.gross_margin (TOML): the "
                                "share of revenue kept, in the lifetime value",
                                value=self.family.gross_margin)
        w = ["window"]
        signups = gauge("cx_signups", "customer.signed_up in the window", ["window", "source"])
        new = gauge("cx_customers_new",
                    "Customers whose first subscription started in the window", w)
        referrals = gauge("cx_referrals_sent", "referral.sent in the window", w)
        referred = gauge("cx_referred_signups", "Signups in the window with a referral_id", w)
        at_start = gauge("cx_customers_at_start", "Customers active at the window's start", w)
        retained = gauge("cx_customers_retained",
                         "Customers active at the window's start and now", w)
        retention = gauge("cx_customer_retention_ratio",
                          "Retained / active at the window's start", w)
        churn = gauge("cx_customer_churn_ratio", "1 - retention", w)
        viral = gauge("cx_viral_coefficient", "Referred signups / active at the window's start", w)
        mrr_start = gauge("cx_mrr_at_start", "mrr at the window's start of the subscriptions "
                          "active then", w)
        mrr_of_start = gauge("cx_mrr_now_of_start", "mrr now of the subscriptions active at the "
                             "window's start (0 if cancelled)", w)
        contraction = gauge("cx_mrr_contraction", "Sum of max(start mrr - mrr now, 0) over the "
                            "subscriptions active at the window's start", w)
        revenue = gauge("cx_revenue_retention_ratio", "Gross and net revenue retention",
                        ["window", "kind"])
        per_1000 = gauge("cx_complaints_per_1000_customers",
                         "1000 x complaints opened in the window / customers active now", w)
        wc = ["window", "channel"]
        opened = gauge("cx_complaints_opened", "Complaints opened in the window", wc)
        closed = gauge("cx_complaints_closed", "Complaints closed in the window", wc)
        upheld = gauge("cx_complaints_upheld", "Complaints closed upheld in the window", wc)
        upheld_ratio = gauge("cx_complaint_upheld_ratio", "Upheld / closed in the window", wc)
        within = gauge("cx_complaints_closed_within", "Complaints closed in the window within "
                       "3d / 8w of opening", ["window", "channel", "within"])
        within_ratio = gauge("cx_complaints_closed_within_ratio", "Share of the window's closes "
                             "within 3d / 8w of opening", ["window", "channel", "within"])
        spans = {window: range(today - days + 1, today + 1)
                 for window, days in c.CUSTOMER_WINDOWS.items()}
        team = self.team_day_windows("customers", spans)
        resolution_rows: list[tuple[dict[str, str], Sketch, Sketch | None]] = []
        churn_30d: Fraction | None = None
        for window, days in c.CUSTOMER_WINDOWS.items():
            first = today - days + 1
            key = [window]
            for source in SOURCES:
                signups.add_metric([window, source], t.in_days(c.SIGNUPS, source, first, today))
            new.add_metric(key, t.in_days(c.NEW, "", first, today))
            referrals.add_metric(key, t.in_days(c.REFERRALS, "", first, today))
            n_referred = t.in_days(c.REFERRED_SIGNUPS, "", first, today)
            referred.add_metric(key, n_referred)
            n_start = t.at_midnight(c.ACTIVE, first)
            n_retained = t.at_midnight(c.RETAINED, first)
            at_start.add_metric(key, n_start)
            retained.add_metric(key, n_retained)
            if n_start > 0:
                kept = Fraction(int(n_retained), int(n_start))
                retention.add_metric(key, float(kept))
                churn.add_metric(key, float(1 - kept))
                if window == "30d":
                    churn_30d = 1 - kept
            add_ratio(viral, key, n_referred, n_start)
            start_mrr = int(t.at_midnight(c.START_MRR, first))
            now_mrr = int(t.at_midnight(c.NOW_MRR_OF_START, first))
            lost = int(t.at_midnight(c.CONTRACTION, first))
            mrr_start.add_metric(key, start_mrr / c.MICROS)
            mrr_of_start.add_metric(key, now_mrr / c.MICROS)
            contraction.add_metric(key, lost / c.MICROS)
            if start_mrr > 0:
                revenue.add_metric([window, "gross"], float(Fraction(start_mrr - lost, start_mrr)))
                revenue.add_metric([window, "net"], float(Fraction(now_mrr, start_mrr)))
            n_opened = 0
            for channel in CHANNELS:
                labels = [window, channel]
                n = t.in_days(c.COMPLAINTS_OPENED, channel, first, today)
                n_opened += int(n)
                opened.add_metric(labels, n)
                n_closed = t.in_days(c.COMPLAINTS_CLOSED, channel, first, today)
                n_upheld = t.in_days(c.UPHELD_CLOSES, channel, first, today)
                closed.add_metric(labels, n_closed)
                upheld.add_metric(labels, n_upheld)
                add_ratio(upheld_ratio, labels, n_upheld, n_closed)
                for limit in c.WITHIN:
                    n_within = t.in_days(f"closed_within_{limit}", channel, first, today)
                    within.add_metric([*labels, limit], n_within)
                    add_ratio(within_ratio, [*labels, limit], n_within, n_closed)
                mine = Sketch.summed(int(n_closed),
                                     int(t.in_days(c.RESOLUTION_SUM, channel, first, today)))
                resolution_rows.append(({"window": window, "channel": channel}, mine,
                                        self.team_sketch(team, window, (channel,), 0)))
            add_ratio(per_1000, key, 1000 * n_opened, active_now)
        yield from (signups, new, referrals, referred, at_start, retained, retention, churn,
                    viral, mrr_start, mrr_of_start, contraction, revenue, per_1000, opened,
                    closed, upheld, upheld_ratio, within, within_ratio)
        yield summary_family("cx_complaint_resolution_seconds",
                             "Complaint closed - opened, in the close's window", resolution_rows)
        open_now = gauge("cx_complaints_open", "Complaints opened and not closed, now", ["channel"])
        for channel in CHANNELS:
            open_now.add_metric([channel], t.current[(c.OPEN_NOW, channel)])
        yield open_now
        if churn_30d and active_now:
            yield GaugeMetricFamily(
                "cx_customer_lifetime_value", "(mrr / active customers) x gross margin / "
                "30-day churn", value=float(Fraction(mrr_now, c.MICROS * active_now)
                                            * Fraction(self.family.gross_margin) / churn_30d))

