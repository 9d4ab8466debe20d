"""Reading the exporter's text format and comparing it with expected samples."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from cxpulse.metrics_text import SampleKey

TICKET_FAMILIES = (
    "cx_tickets_opened", "cx_tickets_resolved", "cx_tickets_open",
    "cx_first_response_seconds", "cx_resolution_seconds", "cx_first_contact_resolution_ratio",
    "cx_reopen_ratio", "cx_sla_breaches", "cx_tickets_in_breach", "cx_sla_attainment_ratio",
    "cx_oldest_unanswered_ticket_age_seconds", "cx_next_reply_seconds", "cx_tickets_paused",
    "cx_sla_at_risk_tickets", "cx_sla_next_breach_seconds",
)


def only(samples: Mapping[SampleKey, float], prefixes: tuple[str, ...]) -> dict[SampleKey, float]:
    return {k: v for k, v in samples.items() if k[0].startswith(prefixes)}


def mismatches(actual: Mapping[SampleKey, float], expected: Mapping[SampleKey, float],
               quantile_tolerance: float = 0.01) -> list[str]:
    """Human-readable differences; quantiles may differ by the sketch's relative error."""
    problems = [f"missing {k} (expected {expected[k]})" for k in expected if k not in actual]
    problems += [f"unexpected {k} = {actual[k]}" for k in actual if k not in expected]
    for key in expected.keys() & actual.keys():
        want, got = expected[key], actual[key]
        if any(name == "quantile" for name, _ in key[1]):
            tolerance = quantile_tolerance * abs(want)
        elif key[0].endswith("_sum"):
            # Durations from float Unix times carry ~1e-7 s of rounding each.
            samples = expected.get((key[0][:-4] + "_count", key[1]), 1.0)
            tolerance = 1e-6 * max(1.0, samples)
        else:
            tolerance = 1e-9 * max(1.0, abs(want))
        if abs(got - want) > tolerance:
            problems.append(f"{key}: got {got}, expected {want}")
    return sorted(problems)


def summed(endpoints: Iterable[Mapping[SampleKey, float]]) -> dict[SampleKey, float]:
    """Every series summed over several workers' scrapes (what ``sum by`` does)."""
    total: dict[SampleKey, float] = defaultdict(float)
    for samples in endpoints:
        for key, value in samples.items():
            total[key] += value
    return total
