"""The sessions agent (``cx.sessions``): session histories and active users.

Events are keyed by user_id, so one user's sessions and distinct-user state live on
one partition, hence one worker: summing ``cx_active_users`` over workers is exact.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from cxpulse.agents.history import HistoryAgent
from cxpulse.core.history_family import HistoryFamily
from cxpulse.core.session_family import SessionFamily


class SessionAgent(HistoryAgent[HistoryFamily]):
    topic = "cx.sessions"

    def build_family(self) -> HistoryFamily:
        # The users table recovers with the session histories (co-partitioned), whose
        # recovery callback rebuilds both: registered here too, it rebuilt them twice.
        users = self.table("users")
        return SessionFamily(self.ingest.admission, self.histories, users,
                             ZoneInfo(self.settings.timezone), self.settings.history_retention,
                             self.settings.entity_limits)
