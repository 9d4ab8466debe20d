"""What every exported family series should be for a scenario, from the naive references."""

from __future__ import annotations

from collections.abc import Mapping

from cxpulse.core.windows import WINDOWS
from tests.reference.customers_plain import expected_customer_metrics
from tests.reference.families_plain import expected_family_metrics
from tests.reference.tickets_naive import expected_ticket_metrics
from tests.reference.workforce_plain import expected_workforce_metrics
from tests.support.mixed_scenario import MixedScenario
from tests.support.prom import SampleKey, only

FAMILY_PREFIXES = (
    "cx_contact", "cx_oldest_queued", "cx_active_users", "cx_sessions_", "cx_page",
    "cx_session_duration", "cx_bounce", "cx_conversion", "cx_nps", "cx_survey", "cx_csat",
    "cx_ces", "cx_cost", "cx_ads", "cx_ad_clicks", "cx_service_cost",
    "cx_customer", "cx_mrr", "cx_signups", "cx_referr", "cx_viral", "cx_complaint",
    "cx_staffing", "cx_agent",
)
"""Name prefixes of every non-ticket family series (contacts, sessions, …, costs)."""


def expected_metrics(s: MixedScenario, timezone: str = "UTC") -> dict[SampleKey, float]:
    """Ticket series (SPEC names) and every other family's series with components."""
    events = s.aggregated
    nows = s.watermarks()
    tickets = [e for e in events if s.topic_of(e) == "cx.tickets"]
    expected = expected_ticket_metrics(tickets, nows["cx.tickets"])
    resolutions = {w: int(sum(v for (name, labels), v in expected.items()
                              if name == "cx_tickets_resolved" and ("window", w) in labels))
                   for w in WINDOWS}
    expected.update(expected_family_metrics(events, nows, timezone=timezone,
                                            ticket_resolutions=resolutions))
    contacts = [e for e in events if s.topic_of(e) == "cx.contacts"]
    expected.update(only(expected_workforce_metrics(contacts, nows["cx.contacts"]),
                         ("cx_contact_handle_seconds", "cx_staffing", "cx_contacts_repeat",
                          "cx_contact_repeat_ratio")))
    agents = [e for e in events if s.topic_of(e) == "cx.agents"]
    expected.update(only(expected_workforce_metrics(agents, nows["cx.agents"]), ("cx_agent",)))
    customers = [e for e in events if s.topic_of(e) == "cx.customers"]
    expected.update(expected_customer_metrics(customers, nows["cx.customers"], timezone))
    return expected


def ratio_mismatches(samples: Mapping[SampleKey, float], ratio: str, numerator: str,
                     denominator: str, denominator_extra: str | None = None) -> list[str]:
    """Where numerator / (denominator [+ extra]) of the same labels differs from ratio."""
    problems = []
    for (name, labels), value in samples.items():
        if name != numerator:
            continue
        den = samples[(denominator, labels)]
        if denominator_extra is not None:
            den += samples[(denominator_extra, labels)]
        got = samples.get((ratio, labels))
        if den == 0:
            if got is not None:
                problems.append(f"{ratio}{labels} = {got} without a denominator")
        elif got is None or abs(got - value / den) > 1e-9:
            problems.append(f"{ratio}{labels} = {got}, components give {value / den}")
    return problems
