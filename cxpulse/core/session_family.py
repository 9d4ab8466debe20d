"""The sessions pipeline: session histories plus the distinct-user state."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any
from zoneinfo import ZoneInfo

from cxpulse.core.active_users import ActiveUsers
from cxpulse.core.admission import Admission
from cxpulse.core.entity_limits import EntityLimits
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.sessions import SessionArithmetic
from cxpulse.core.windows import is_late
from cxpulse.schemas.events import Event


class SessionFamily(HistoryFamily):
    """``cx.sessions``: every user of a session event is also an active user."""

    def __init__(self, admission: Admission, histories: MutableMapping[str, Any],
                 users: MutableMapping[str, Any], tz: ZoneInfo, retention: float,
                 limits: EntityLimits | None = None) -> None:
        super().__init__(admission, histories, SessionArithmetic(), retention, limits)
        self.active_users = ActiveUsers(users, tz)

    def tick(self) -> None:
        super().tick()
        now = self.admission.now()
        if now is not None:
            self.active_users.advance(now)

    def apply(self, event: Event, partition: int, now_before: float | None) -> None:
        super().apply(event, partition, now_before)
        if not is_late(event.time, now_before):  # late events are not aggregated
            self.active_users.observe(str(event.data["user_id"]), event.time, partition)
            if self._dirty is None:  # not within a batch: written now
                self.active_users.write_blocks()

    def end_batch(self) -> None:
        self.active_users.write_blocks()  # before the expiry, as after a lone event
        super().end_batch()

    def _expire(self, partition: int) -> None:
        super()._expire(partition)
        self.active_users.expire(partition)

    def rebuild_steps(self, partitions: set[int], *, resend: bool = True) -> Iterator[None]:
        yield from super().rebuild_steps(partitions, resend=resend)
        yield from self.active_users.rebuild_steps(partitions, self.admission.now())
