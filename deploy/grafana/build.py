"""Writes the Grafana dashboards of deploy/grafana/dashboards/ (run: python build.py).

The JSON is generated so that every panel stays a readable line here; CI checks
the committed JSON equals this script's output and runs every panel query against
a real Prometheus fed by a real worker (tests/integration/test_deploy_live.py).
Panels read the team-level recording rules (deploy/prometheus/rules/recording.yml).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}

CHANNELS = "email,chat,phone,social,web,other"
PRIORITIES = "urgent,high,normal,low,other"
SOURCES = "organic,paid,social,email,direct,referral,other"

C = 'channel=~"$channel"'
P = 'priority=~"$priority"'
S = 'source=~"$source"'
W = 'window="$window"'

# First-response targets of SPEC.md, for the thresholds of the age panels.
FIRST_RESPONSE_TARGETS = {"urgent": 900, "high": 3600, "normal": 4 * 3600, "low": 24 * 3600}


def variable(name: str, values: str, *, all_: bool = True, default: str = "All") -> dict[str, Any]:
    options = values.split(",")
    return {
        "name": name, "label": name, "type": "custom", "query": values,
        "includeAll": all_, "allValue": ".*" if all_ else None, "multi": all_,
        "current": {"text": default, "value": "$__all" if default == "All" else default},
        "options": [{"text": o, "value": o, "selected": o == default} for o in options],
    }


def panel(title: str, exprs: list[tuple[str, str]], *, unit: str, kind: str = "timeseries",
          description: str = "", thresholds: Sequence[tuple[str, float | None]] | None = None,
          w: int = 8, h: int = 7) -> dict[str, Any]:
    steps = [{"color": color, "value": value}
             for color, value in (thresholds or [("green", None)])]
    return {
        "type": kind, "title": title, "description": description, "datasource": DATASOURCE,
        "gridPos": {"w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit,
                                     "thresholds": {"mode": "absolute", "steps": steps}},
                        "overrides": []},
        "targets": [{"refId": chr(65 + i), "expr": expr, "legendFormat": legend,
                     "datasource": DATASOURCE} for i, (expr, legend) in enumerate(exprs)],
    }


def row(title: str) -> dict[str, Any]:
    return {"type": "row", "title": title, "collapsed": False, "gridPos": {"w": 24, "h": 1},
            "panels": []}


def dashboard(uid: str, title: str, panels: list[dict[str, Any]],
              variables: list[dict[str, Any]]) -> dict[str, Any]:
    x = y = line_h = 0
    for n, p in enumerate(panels):  # lay panels out left to right, rows full width
        grid = p["gridPos"]
        if x + grid["w"] > 24 or p["type"] == "row":
            x, y, line_h = 0, y + line_h, 0
        grid.update(x=x, y=y)
        p["id"] = n + 1
        x += grid["w"]
        line_h = max(line_h, grid["h"])
    return {"uid": uid, "title": title, "tags": ["cxpulse"], "timezone": "browser",
            "schemaVersion": 39, "version": 1, "refresh": "30s", "editable": True,
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": variables}, "panels": panels}


SLA_OK = [("red", None), ("orange", 0.8), ("green", 0.9)]
WINDOW = variable("window", "5m,1h,24h", all_=False, default="1h")


def service_desk() -> dict[str, Any]:
    age_steps = [("green", None), ("orange", FIRST_RESPONSE_TARGETS["urgent"]),
                 ("red", FIRST_RESPONSE_TARGETS["high"])]
    panels = [
        row("Tickets"),
        panel("Opened in window", [(f"sum(team:cx_tickets_opened:sum{{{W},{C},{P}}})", "opened")],
              unit="short", kind="stat", w=4, description="Tickets opened in the window"),
        panel("Resolved in window",
              [(f"sum(team:cx_tickets_resolved:sum{{{W},{C},{P}}})", "resolved")],
              unit="short", kind="stat", w=4, description="Resolutions in the window"),
        panel("Backlog by priority",
              [(f"sum by (priority) (team:cx_tickets_open:sum{{{C},{P}}})", "{{priority}}")],
              unit="short", w=8, description="Opened and not resolved, now"),
        panel("Oldest unanswered ticket",
              [(f"max by (priority) (team:cx_oldest_unanswered_ticket_age_seconds:max{{{C},{P}}})",
                "{{priority}}")],
              unit="s", w=8, thresholds=age_steps,
              description="now - opened, for the oldest open ticket without a first response"),
        panel("First response p50 / p90",
              [(f'team:cx_first_response_seconds:quantile{{{W},quantile="0.5",{C},{P}}}',
                "p50 {{channel}}/{{priority}}"),
               (f'team:cx_first_response_seconds:quantile{{{W},quantile="0.9",{C},{P}}}',
                "p90 {{channel}}/{{priority}}")],
              unit="s", description="First counted response - opened, by channel and priority"),
        panel("First response mean by priority",
              [(f"sum by (priority) (cx_first_response_seconds_sum{{{W},{C},{P}}}) / "
                f"sum by (priority) (cx_first_response_seconds_count{{{W},{C},{P}}})",
                "{{priority}}")], unit="s", description="_sum / _count over workers"),
        panel("Resolution p50 / p90",
              [(f'team:cx_resolution_seconds:quantile{{{W},quantile="0.5",{C},{P}}}',
                "p50 {{channel}}/{{priority}}"),
               (f'team:cx_resolution_seconds:quantile{{{W},quantile="0.9",{C},{P}}}',
                "p90 {{channel}}/{{priority}}")],
              unit="s", description="Resolved - opened (from the original open)"),
        row("SLA"),
        panel("SLA attainment by priority",
              [(f"team:cx_sla_attainment_ratio:by_priority{{{W},{P}}}",
                "{{sla}} {{priority}}")],
              unit="percentunit", thresholds=SLA_OK,
              description="Targets met / (met + breached) in the window"),
        panel("SLA breaches (last 5 min)",
              [(f"sum by (sla, priority) (team:cx_sla_breaches:increase5m{{{C},{P}}})",
                "{{sla}} {{priority}}")], unit="short", kind="timeseries",
              description="Breaches counted at their deadline"),
        panel("Tickets in breach now",
              [(f"sum by (sla, priority) (team:cx_tickets_in_breach:sum{{{C},{P}}})",
                "{{sla}} {{priority}}")], unit="short",
              thresholds=[("green", None), ("red", 10)],
              description="Unresolved tickets past that deadline now"),
        panel("At risk: due within 15 min / 1 h",
              [(f'sum by (sla, priority) (team:cx_sla_at_risk_tickets:sum{{within="15m",{C},{P}}})',
                "15m {{sla}} {{priority}}"),
               (f'sum by (sla, priority) (team:cx_sla_at_risk_tickets:sum{{within="1h",{C},{P}}})',
                "1h {{sla}} {{priority}}")], unit="short",
              thresholds=[("green", None), ("orange", 1)],
              description="Running targets (clock not paused, not met, not breached) whose "
                          "deadline is that close: act on these before they breach"),
        panel("Next breach in",
              [(f"min by (sla, priority) (team:cx_sla_next_breach_seconds:min{{{C},{P}}})",
                "{{sla}} {{priority}}")], unit="s", kind="bargauge",
              thresholds=[("red", None), ("orange", 900), ("green", 3600)],
              description="Min over running targets of deadline - now (business hours "
                          "count only where a schedule applies; the gap is wall-clock)"),
        panel("Paused tickets (pending / on hold)",
              [(f"sum by (priority) (team:cx_tickets_paused:sum{{{C},{P}}})", "{{priority}}")],
              unit="short", description="Open tickets waiting on the customer or a third "
                                        "party now: their resolution and next-reply clocks "
                                        "stand still"),
        panel("Next reply p50 / p90",
              [(f'team:cx_next_reply_seconds:quantile{{{W},quantile="0.5",{C},{P}}}',
                "p50 {{channel}}/{{priority}}"),
               (f'team:cx_next_reply_seconds:quantile{{{W},quantile="0.9",{C},{P}}}',
                "p90 {{channel}}/{{priority}}")],
              unit="s", description="Earliest unanswered customer reply - the next counted "
                                    "response (after the first response)"),
        panel("First contact resolution",
              [(f"team:cx_first_contact_resolution_ratio{{{W},{C}}}", "{{channel}}")],
              unit="percentunit", w=12,
              description="Resolutions with exactly one public agent response and no "
                          "earlier reopen / resolutions"),
        panel("Reopen ratio", [(f"team:cx_reopen_ratio{{{W},{C}}}", "{{channel}}")],
              unit="percentunit", w=12, description="Reopens / resolutions in the window"),
        row("Queue"),
        panel("Contacts in queue",
              [(f"sum by (channel) (team:cx_contacts_in_queue:sum{{{C}}})", "{{channel}}")],
              unit="short", w=6, thresholds=[("green", None), ("red", 20)]),
        panel("Oldest queued contact",
              [(f"max(team:cx_oldest_queued_contact_age_seconds:max{{{C}}})", "oldest")],
              unit="s", kind="stat", w=6, thresholds=[("green", None), ("red", 300)],
              description="now - queued, for the oldest contact still in queue"),
        panel("Wait: average speed of answer and p90",
              [(f"team:cx_contact_wait_seconds:mean{{{W},{C}}}", "mean {{channel}}"),
               (f'team:cx_contact_wait_seconds:quantile{{{W},quantile="0.9",{C}}}',
                "p90 {{channel}}")], unit="s", w=12),
        panel("Handle time: average (AHT) and p90",
              [(f"team:cx_contact_handle_seconds:mean{{{W},{C}}}", "AHT {{channel}}"),
               (f'team:cx_contact_handle_seconds:quantile{{{W},quantile="0.9",{C}}}',
                "p90 {{channel}}")], unit="s", w=12,
              description="talk + hold + after-contact work of the contacts ended in the "
                          "window (contact.ended), by the channel they were queued on"),
        panel("Agents needed (Erlang C, last hour)",
              [(f"sum by (channel) (team:cx_staffing_required_agents:max{{{C}}})",
                "{{channel}}")], unit="short", kind="bargauge", w=12,
              description="Fewest agents answering 80 % within 20 s at the last hour's "
                          "arrivals and mean handle time; assumes Poisson arrivals, "
                          "exponential handle times and no abandons (a hint)"),
        panel("Service level (target 20 s)",
              [(f"team:cx_contact_service_level_ratio{{{W},{C}}}", "{{channel}}")],
              unit="percentunit", w=12, thresholds=[("red", None), ("green", 0.8)],
              description="Answered within the target / (answered + abandoned), short "
                          "abandons excluded"),
        panel("Abandonment",
              [(f"team:cx_contact_abandonment_ratio{{{W},{C}}}", "{{channel}}")],
              unit="percentunit", w=12, thresholds=[("green", None), ("red", 0.2)],
              description="Abandoned / (answered + abandoned), short abandons excluded"),
        panel("Repeat contacts",
              [(f"team:cx_contact_repeat_ratio{{{W},{C}}}", "{{channel}}")],
              unit="percentunit", w=12,
              description="Answered contacts whose customer had another answered contact "
                          "in the 7 days before / answered contacts in the window"),
        row("Agents"),
        panel("Agents by state now", [("team:cx_agents:sum", "{{state}}")], unit="short",
              kind="bargauge", w=12,
              description="Each agent's latest state at or before now (agent.state_changed); "
                          "an agent silent for 12 h counts as offline"),
        panel("Occupancy", [(f"team:cx_agent_occupancy_ratio{{{W}}}", "{{window}}")],
              unit="percentunit", w=12, thresholds=[("green", None), ("red", 0.9)],
              description="Seconds busy or in acw / seconds available, busy or in acw in "
                          "the window, time-weighted; an open state runs to now"),
        row("Pipeline"),
        panel("Events accepted / s", [("team:cx_events:rate5m", "{{topic}}")], unit="ops"),
        panel("Events rejected / s", [("sum by (topic) (rate(cx_events_rejected_total[5m]))",
                                       "{{topic}}")], unit="ops"),
        panel("Event-time lag (live)", [("time() - team:cx_watermark_seconds:max", "{{topic}}")],
              unit="s", description="Wall clock - watermark: how far behind event time is"),
    ]
    return dashboard("cxpulse-service-desk", "Service desk live", panels,
                     [WINDOW, variable("channel", CHANNELS), variable("priority", PRIORITIES)])


def customer_experience() -> dict[str, Any]:
    panels = [
        row("Users and sessions"),
        panel("Daily active users", [('team:cx_active_users:sum{window="1d"}', "today")],
              unit="short", kind="stat", w=4, description="Distinct users today (local day)"),
        panel("7-day active users", [('team:cx_active_users:sum{window="7d"}', "7d")],
              unit="short", kind="stat", w=4),
        panel("28-day active users", [('team:cx_active_users:sum{window="28d"}', "28d")],
              unit="short", kind="stat", w=4),
        panel("Active users, trailing",
              [('team:cx_active_users:sum{window=~"5m|1h|24h"}', "{{window}}")],
              unit="short", w=12),
        panel("Sessions started", [(f"team:cx_sessions_started:sum{{{W},{S}}}", "{{source}}")],
              unit="short"),
        panel("Pages per session", [(f"team:cx_pages_per_session{{{W},{S}}}", "{{source}}")],
              unit="short"),
        panel("Bounce ratio", [(f"team:cx_bounce_ratio{{{W},{S}}}", "{{source}}")],
              unit="percentunit", description="Sessions ended with at most one page view / "
                                              "sessions ended"),
        panel("Session duration mean / p90",
              [(f"team:cx_session_duration_seconds:mean{{{W},{S}}}", "mean {{source}}"),
               (f'team:cx_session_duration_seconds:quantile{{{W},quantile="0.9",{S}}}',
                "p90 {{source}}")], unit="s", w=24),
        row("Conversions and costs"),
        panel("Conversion ratio", [(f"team:cx_conversion_ratio{{{W},{S}}}", "{{source}}")],
              unit="percentunit", w=12, description="Conversions / sessions started"),
        panel("Conversion value", [(f"team:cx_conversion_value:sum{{{W},{S}}}", "{{source}}")],
              unit="currencyEUR", w=12),
        panel("Cost per click", [(f"team:cx_cost_per_click{{{W},{S}}}", "{{source}}")],
              unit="currencyEUR"),
        panel("Cost per conversion",
              [(f"team:cx_cost_per_conversion{{{W},{S}}}", "{{source}}")], unit="currencyEUR"),
        panel("Cost per resolution", [(f"team:cx_cost_per_resolution{{{W}}}", "service")],
              unit="currencyEUR", kind="stat"),
        row("Surveys"),
        panel("NPS", [(f"team:cx_nps{{{W},{C}}}", "{{channel}}")], unit="none", w=8,
              thresholds=[("red", None), ("orange", 0), ("green", 30)],
              description="100 x (promoters - detractors) / answers"),
        panel("Promoters / detractors",
              [(f"sum(cx_survey_promoters{{{W},{C}}}) / "
                f'sum(cx_survey_answers{{survey="nps",{W},{C}}})', "promoters"),
               (f"sum(cx_survey_detractors{{{W},{C}}}) / "
                f'sum(cx_survey_answers{{survey="nps",{W},{C}}})', "detractors")],
              unit="percentunit", w=8),
        panel("Survey answers",
              [(f"sum by (survey) (team:cx_survey_answers:sum{{{W},{C}}})", "{{survey}}")],
              unit="short", w=8),
        panel("CSAT", [(f"team:cx_csat_ratio{{{W},{C}}}", "{{channel}}")], unit="percentunit",
              w=12, thresholds=[("red", None), ("green", 0.8)],
              description="Answers of 4 or 5 / CSAT answers"),
        panel("CES", [(f"team:cx_ces_mean{{{W},{C}}}", "{{channel}}")], unit="none", w=12,
              description="Mean customer effort score (1-7)"),
    ]
    return dashboard("cxpulse-customer-experience", "Customer experience", panels,
                     [WINDOW, variable("channel", CHANNELS), variable("source", SOURCES)])


DAYS = 'window="$days"'
"""The customers' windows are calendar days (SPEC): a variable of their own."""


def customers() -> dict[str, Any]:
    money = "currencyEUR"
    panels = [
        row("Customers and revenue"),
        panel("Active customers", [("sum(team:cx_customers_active:sum)", "active")],
              unit="short", kind="stat", w=4,
              description="Customers with a subscription started and not cancelled, now"),
        panel("MRR", [("sum(team:cx_mrr:sum)", "MRR")], unit=money, kind="stat", w=4,
              description="Sum of the mrr of the running subscriptions, now"),
        panel("Customer lifetime value", [("team:cx_customer_lifetime_value", "CLV")],
              unit=money, kind="stat", w=4,
              description="(MRR / active customers) x gross margin / 30-day churn: a "
                          "constant churn rate and margin assumed; absent while churn is 0"),
        panel("Churn and retention",
              [(f"team:cx_customer_churn_ratio{{{DAYS}}}", "churn"),
               (f"team:cx_customer_retention_ratio{{{DAYS}}}", "retention")],
              unit="percentunit", kind="stat", w=6,
              description="Of the customers active at the window's first local midnight, "
                          "the share active now (retention) and not (churn)"),
        panel("Revenue retention",
              [(f"team:cx_revenue_retention_ratio{{{DAYS}}}", "{{kind}}")],
              unit="percentunit", kind="stat", w=6,
              description="Over the subscriptions running at the window's start: gross "
                          "counts contraction and cancellations, net adds expansion"),
        panel("Signups by source", [(f"team:cx_signups:sum{{{DAYS},{S}}}", "{{source}}")],
              unit="short", kind="bargauge", w=8),
        panel("New customers", [(f"team:cx_customers_new:sum{{{DAYS}}}", "new")],
              unit="short", kind="stat", w=4,
              description="Customers whose first subscription ever started in the window"),
        panel("Referrals", [(f"sum(cx_referrals_sent{{{DAYS}}})", "sent"),
                            (f"team:cx_referred_signups:sum{{{DAYS}}}", "signed up")],
              unit="short", kind="stat", w=6),
        panel("Viral coefficient", [(f"team:cx_viral_coefficient{{{DAYS}}}", "k")],
              unit="none", kind="stat", w=6,
              description="Referred signups in the window / customers active at its start"),
        row("Complaints"),
        panel("Open complaints",
              [(f"sum by (channel) (team:cx_complaints_open:sum{{{C}}})", "{{channel}}")],
              unit="short", kind="bargauge", w=6, description="Opened and not closed, now"),
        panel("Opened in window",
              [(f"sum by (channel) (team:cx_complaints_opened:sum{{{DAYS},{C}}})",
                "{{channel}}")], unit="short", kind="bargauge", w=6),
        panel("Complaints per 1000 customers",
              [(f"team:cx_complaints_per_1000_customers{{{DAYS}}}", "per 1000")],
              unit="none", kind="stat", w=6),
        panel("Closed after 8 weeks",
              [(f"sum by (channel) (team:cx_complaints_closed_late:sum{{{DAYS},{C}}})",
                "{{channel}}")], unit="short", kind="stat", w=6,
              thresholds=[("green", None), ("red", 1)],
              description="Closes in the window more than 8 weeks after the opening"),
        panel("Closed within 3 days / 8 weeks",
              [(f"team:cx_complaints_closed_within_ratio{{{DAYS},{C}}}",
                "{{within}} {{channel}}")], unit="percentunit", w=8,
              description="Of the window's closes, the share closed within 3d / 8w"),
        panel("Upheld", [(f"team:cx_complaint_upheld_ratio{{{DAYS},{C}}}", "{{channel}}")],
              unit="percentunit", w=8, description="Closes upheld / closes in the window"),
        panel("Time to close: mean and p90",
              [(f"team:cx_complaint_resolution_seconds:mean{{{DAYS},{C}}}", "mean {{channel}}"),
               (f'team:cx_complaint_resolution_seconds:quantile{{{DAYS},quantile="0.9",{C}}}',
                "p90 {{channel}}")], unit="s", w=8,
              description="Closed - opened, for the window's closes"),
    ]
    return dashboard("cxpulse-customers", "Customers and revenue", panels,
                     [variable("days", "1d,7d,30d", all_=False, default="30d"),
                      variable("channel", CHANNELS), variable("source", SOURCES)])


DASHBOARDS = {"service-desk-live.json": service_desk,
              "customer-experience.json": customer_experience,
              "customers.json": customers}


def rendered() -> dict[str, str]:
    return {name: json.dumps(build(), indent=2) + "\n" for name, build in DASHBOARDS.items()}


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for name, text in rendered().items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
