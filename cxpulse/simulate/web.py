"""Web traffic: sessions of a pool of returning users, page views (many single-page
bounces), session ends (some never sent), and conversions at the end of a few."""

from __future__ import annotations

from cxpulse.simulate.base import Timed, Traffic, lognormal, pick

SOURCE_MIX = {"organic": 0.34, "paid": 0.20, "social": 0.12, "email": 0.08, "direct": 0.16,
              "referral": 0.08, "tiktok": 0.02}
CONVERSION = {"paid": 0.05, "email": 0.06, "organic": 0.03, "direct": 0.04}
BOUNCE = 0.4
NEVER_ENDED = 0.08
SESSIONS_PER_USER_PER_DAY = 2.0


class WebTraffic(Traffic):
    family = "web"
    source = "simulator/web"

    def __init__(self, seed: int, per_hour: float) -> None:
        super().__init__(seed, per_hour)
        self.users = max(50, int(per_hour * 24 / SESSIONS_PER_USER_PER_DAY))

    def life(self, started: float) -> list[Timed]:
        rng = self.rng
        sid = f"S-{self.seed}-{self.next_entity()}"
        user = f"U-{self.seed}-{rng.randrange(self.users)}"
        source = pick(rng, SOURCE_MIX)
        events = [self.event("session.started", started, {
            "session_id": sid, "user_id": user, "source": source,
            "device": rng.choice(("desktop", "mobile"))})]
        pages = 1 if rng.random() < BOUNCE else 2 + int(rng.expovariate(1 / 3))
        t = started
        for n in range(pages):
            t += 1 if n == 0 else lognormal(rng, 40.0)
            events.append(self.event("page.viewed", t, {
                "session_id": sid, "user_id": user, "url": f"/p/{rng.randrange(200)}"}))
        end = t + lognormal(rng, 30.0)
        if rng.random() >= NEVER_ENDED:
            events.append(self.event("session.ended", end, {"session_id": sid, "user_id": user}))
        if pages > 1 and rng.random() < CONVERSION.get(source, 0.02) * 2:
            events.append(self.event("conversion", end - 1, {
                "user_id": user, "session_id": sid, "source": source,
                "value": round(lognormal(rng, 60.0, 0.7), 2), "currency": "EUR"}))
        return events
