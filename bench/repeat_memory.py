"""Memory of the repeat-contact state per 10^6 customers (issue 18): one process, no
Kafka, tracemalloc over the customers' records, their buckets and their expiry queue.

    .venv/bin/python -m bench.repeat_memory
"""

from __future__ import annotations

import gc
import random
import tracemalloc
from typing import Any

from cxpulse.core.repeat_contacts import RepeatContacts, contact_hash

END = 1_795_340_000.0
CUSTOMERS = 1_000_000


def measure(answers_per_customer: int) -> float:
    """Bytes per customer, each with that many answers spread over the last 7 days."""
    gc.collect()
    tracemalloc.start()
    table: dict[str, Any] = {}
    repeats = RepeatContacts(table, 7 * 86400.0)
    rng = random.Random(1)
    for c in range(CUSTOMERS):
        for k in range(answers_per_customer):
            repeats.receive(f"C-{c}", contact_hash(f"Q-{c}-{k}"),
                            END - rng.uniform(0, 7 * 86400.0), "phone", c % 6)
        if c % 250_000 == 0:
            print(f"  {answers_per_customer} answers each: {c:,} customers", flush=True)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return used / CUSTOMERS


def main() -> None:
    for n in (1, 3):
        per = measure(n)
        print(f"{n} answer(s) per customer: {per:.0f} B each, "
              f"{per * CUSTOMERS / 1e6:.0f} MB per 10^6 customers")


if __name__ == "__main__":
    main()
