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
    with urllib.request.urlopen(url, timeout=5) as response:
        return parse(response.read().decode())
