"""The naive reference itself, checked on numbers worked out by hand."""

from __future__ import annotations

from typing import Any

from tests.reference.tickets_naive import expected_ticket_metrics
from tests.support.scenario import ev

B = 1_795_320_000.0  # a minute boundary: 2026-11-22T00:40:00Z
NOW = B + 2 * 3600 + 30  # the 1h window covers buckets (B+60m, B+120m]


def k(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return name, tuple(sorted(labels.items()))


EVENTS: list[dict[str, Any]] = [
    # 1: email/urgent. Bot reply at 10 s does not count; the agent answers at 20 min,
    # after the 15 min deadline (breach at B+15m); resolved at 30 min: first contact.
    ev("1o", "ticket.opened", B, ticket_id="1", customer_id="c", channel="email",
       priority="urgent"),
    ev("1b", "ticket.responded", B + 10, ticket_id="1", agent_id="bot", by="bot"),
    ev("1r", "ticket.responded", B + 1200, ticket_id="1", agent_id="a"),
    ev("1s", "ticket.resolved", B + 1800, ticket_id="1", agent_id="a"),
    ev("1s", "ticket.resolved", B + 1800, ticket_id="1", agent_id="a"),  # redelivery
    # 2: chat/high opened 30 min 30 s before now, never answered (deadline not reached).
    ev("2o", "ticket.opened", B + 5400, ticket_id="2", customer_id="c", channel="chat",
       priority="high"),
    # 3: fax/"p7" -> other/other (normal targets). Only a private reply; resolved at
    # 10 min (not first contact: no counted response), reopened at 20 min.
    ev("3o", "ticket.opened", B, ticket_id="3", customer_id="c", channel="fax",
       priority="p7"),
    ev("3p", "ticket.responded", B + 300, ticket_id="3", agent_id="a", public=False),
    ev("3s", "ticket.resolved", B + 600, ticket_id="3", agent_id="a"),
    ev("3O", "ticket.reopened", B + 1200, ticket_id="3"),
]


def test_hand_computed_windows() -> None:
    m = expected_ticket_metrics(EVENTS, NOW)
    email_urgent = {"channel": "email", "priority": "urgent"}
    assert m[k("cx_tickets_opened", window="24h", **email_urgent)] == 1
    assert m[k("cx_tickets_opened", window="1h", **email_urgent)] == 0
    assert m[k("cx_tickets_opened", window="1h", channel="chat", priority="high")] == 1
    assert m[k("cx_tickets_opened", window="5m", channel="chat", priority="high")] == 0
    assert m[k("cx_tickets_resolved", window="24h", **email_urgent)] == 1
    assert m[k("cx_first_response_seconds_count", window="24h", **email_urgent)] == 1
    assert m[k("cx_first_response_seconds_sum", window="24h", **email_urgent)] == 1200
    assert m[k("cx_first_response_seconds", quantile="0.9", window="24h", **email_urgent)] == 1200
    assert m[k("cx_resolution_seconds_sum", window="24h", **email_urgent)] == 1800
    assert k("cx_first_response_seconds", quantile="0.5", window="1h", **email_urgent) not in m
    assert m[k("cx_first_response_seconds_count", window="1h", **email_urgent)] == 0


def test_hand_computed_ratios_and_sla() -> None:
    m = expected_ticket_metrics(EVENTS, NOW)
    assert m[k("cx_first_contact_resolution_ratio", window="24h", channel="email")] == 1
    assert m[k("cx_reopen_ratio", window="24h", channel="email")] == 0
    assert m[k("cx_first_contact_resolution_ratio", window="24h", channel="other")] == 0
    assert m[k("cx_reopen_ratio", window="24h", channel="other")] == 1
    assert k("cx_reopen_ratio", window="1h", channel="email") not in m
    eu = {"channel": "email", "priority": "urgent"}
    assert m[k("cx_sla_attainment_ratio", sla="first_response", window="24h", **eu)] == 0
    assert m[k("cx_sla_attainment_ratio", sla="resolution", window="24h", **eu)] == 1
    assert m[k("cx_sla_breaches_total", sla="first_response", **eu)] == 1
    assert m[k("cx_sla_breaches_total", sla="resolution", **eu)] == 0
    oo = {"channel": "other", "priority": "other"}
    assert m[k("cx_sla_attainment_ratio", sla="resolution", window="24h", **oo)] == 1
    assert k("cx_sla_attainment_ratio", sla="first_response", window="24h", **oo) not in m


def test_hand_computed_gauges_at_now() -> None:
    m = expected_ticket_metrics(EVENTS, NOW)
    assert m[k("cx_tickets_open", channel="email", priority="urgent")] == 0
    assert m[k("cx_tickets_open", channel="chat", priority="high")] == 1
    assert m[k("cx_tickets_open", channel="other", priority="other")] == 1
    assert m[k("cx_oldest_unanswered_ticket_age_seconds", channel="chat", priority="high")] == 1830
    assert m[k("cx_oldest_unanswered_ticket_age_seconds", channel="other",
               priority="other")] == 7230
    assert k("cx_oldest_unanswered_ticket_age_seconds", channel="email",
             priority="urgent") not in m
    assert m[k("cx_tickets_in_breach", sla="first_response", channel="chat",
               priority="high")] == 0
    # 31 minutes later the chat ticket passes its 1 h deadline unanswered.
    later = expected_ticket_metrics(EVENTS, NOW + 31 * 60)
    assert later[k("cx_tickets_in_breach", sla="first_response", channel="chat",
                   priority="high")] == 1
    assert later[k("cx_sla_breaches_total", sla="first_response", channel="chat",
                   priority="high")] == 1


def test_series_set_is_complete_for_counts() -> None:
    m = expected_ticket_metrics([], NOW)
    opened = [key for key in m if key[0] == "cx_tickets_opened"]
    assert len(opened) == 6 * 5 * 3
    assert all(v == 0 for v in m.values())
