"""Each family is rebuilt once per recovery: Faust calls every table's recovery
callbacks after every recovery, so a rebuild registered on two tables runs twice
(the sessions family did: 3.4 s of a 3·10^5-session restart's samples, as much as
the tickets')."""

from __future__ import annotations

from collections import Counter

from cxpulse.config import Settings
from cxpulse.worker import build_app


def test_no_recovery_callback_is_registered_on_two_tables() -> None:
    app = build_app(Settings(app_id=f"t-{id(object())}", kafka_bootstrap="127.0.0.1:1"))
    owners: Counter[tuple[int, str]] = Counter()
    for table in app.tables.values():
        for callback in table._recover_callbacks:
            owners[(id(getattr(callback, "__self__", callback)),
                    getattr(callback, "__qualname__", repr(callback)))] += 1
    assert owners, "no recovery callback found: the check would pass vacuously"
    assert len(owners) >= 6  # every history family, repeats, team quantiles
    twice = [name for (_, name), n in owners.items() if n > 1]
    assert not twice, twice
