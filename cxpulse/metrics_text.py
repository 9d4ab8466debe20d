"""Reading a worker's ``/metrics`` text, for the bench, ``replay`` and the tests."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

SampleKey = tuple[str, tuple[tuple[str, str], ...]]
"""(sample name, its labels sorted by name)."""


def parse(text: str) -> dict[SampleKey, float]:
    """Every sample of an exposition."""
    out: dict[SampleKey, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def scrape(url: str) -> dict[SampleKey, float]:
    return parse(fetch(url))


def fetch(url: str) -> str:
    """The exposition text of ``url``."""
    with urllib.request.urlopen(url, timeout=5) as response:
        text: str = response.read().decode()
        return text


def sample(text: str, key: SampleKey) -> float | None:
    """One sample of an exposition, parsing only the lines of its metric (a whole
    worker's exposition takes the parser tens of milliseconds)."""
    name = key[0]
    lines = [line for line in text.splitlines() if line.startswith((name + "{", name + " "))]
    return parse("\n".join(lines) + "\n").get(key) if lines else None


Samples = dict[SampleKey, float]
W24 = {"window": "24h"}
"""The labels of the window the replay summary reports."""
SummaryRow = tuple[str, str]
"""(what, its value as text): one line of ``cxpulse replay``'s final summary."""


def total(samples: Samples, name: str, **match: str) -> float:
    """The sum of ``name`` over the samples whose labels include ``match``."""
    wanted = set(match.items())
    return sum(v for (n, labels), v in samples.items() if n == name and wanted <= set(labels))


def ratio_text(num: float, den: float, scale: float = 1.0, unit: str = "") -> str:
    return f"{scale * num / den:.1f}{unit}" if den else "—"


def count_text(value: float) -> str:
    return f"{value:,.0f}"


def money_text(value: float) -> str:
    return f"{value:,.2f}"
