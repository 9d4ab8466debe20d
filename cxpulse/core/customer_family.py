"""The ``cx.customers`` pipeline: customer histories and their calendar-day totals."""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from typing import Any
from zoneinfo import ZoneInfo

from cxpulse.core.admission import Admission
from cxpulse.core.customers import CustomerTotals, LocalDays, contributions, customer_entry
from cxpulse.core.entity_limits import EntityLimits
from cxpulse.core.facts import Fact
from cxpulse.core.history_family import History, HistoryFamily
from cxpulse.schemas.events import Event


class CustomerArithmetic:
    """No minute buckets: a customer's history feeds :class:`CustomerTotals`."""

    n_sums = 0
    n_sketches = 0

    def __init__(self, totals: CustomerTotals) -> None:
        self.totals = totals

    def entry(self, event: Event) -> tuple[str, list[Any]] | None:
        return customer_entry(event)

    def facts(self, history: History) -> list[Fact]:
        return []

    def track(self, key: str, history: History | None) -> None:
        self.totals.replace(key, contributions(history, self.totals.days) if history else [])

    def clear(self) -> None:
        self.totals.clear()


class CustomerFamily(HistoryFamily):
    """A customer's history is kept as long as the worker runs (its subscriptions
    decide "active at the window start" however old they are); events older than
    local midnight 30 days before today are late and change nothing."""

    def __init__(self, admission: Admission, histories: MutableMapping[str, Any],
                 tz: ZoneInfo, gross_margin: float,
                 limits: EntityLimits | None = None) -> None:
        self.totals = CustomerTotals(LocalDays(tz))
        self.gross_margin = gross_margin
        super().__init__(admission, histories, CustomerArithmetic(self.totals), math.inf, limits)
        days = self.totals.days

        def late(t: float, now: float | None) -> bool:
            return now is not None and t < days.late_before(now)

        admission.is_late = late

    def apply(self, event: Event, partition: int, now_before: float | None) -> None:
        if not self.admission.is_late(event.time, now_before):
            super().apply(event, partition, now_before)

    def _refresh(self, key: str, history: History | None, *, send: bool = True) -> None:
        """Also queue the customer's complaint samples for the team's quantiles when
        they changed (or must be sent again after a crash)."""
        before = self.totals.team_samples(key)
        again = key in self._resend
        super()._refresh(key, history, send=send)
        after = self.totals.team_samples(key)
        if send and (after != before or again):
            self.outbox.append((key, after))

    def today(self) -> int | None:
        """Today's local day number, once there is a "now"; folds old step bins."""
        now = self.now()
        if now is None:
            return None
        today = self.totals.days.day(now)
        self.totals.fold(today)
        return today
