"""A rebuild's walk over a table survives keys added or deleted while it yields."""

from __future__ import annotations

from cxpulse.core.table_walk import items_as_of_now


def test_keys_added_meanwhile_are_not_walked_and_deleted_ones_are_skipped() -> None:
    table = {f"k{n}": [n] for n in range(5)}
    seen = []
    for key, value in items_as_of_now(table):
        seen.append((key, value))
        if key == "k1":  # what a standby's changelog records do while the rebuild yields
            table["new"] = [99]
            del table["k3"]
    assert seen == [("k0", [0]), ("k1", [1]), ("k2", [2]), ("k4", [4])]
    assert "new" in table
