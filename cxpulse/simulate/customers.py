"""Customers: signups by source, subscriptions with plan changes, churn, referrals and
complaints whose time to close is skewed (some never close).

Each arrival is a new customer; its life runs for up to 90 days, so a backfill of
weeks (``make demo``) shows retention and churn at once. Monthly churn is about
3.5 % (a daily hazard of 0.12 %), a quarter of it involuntary (failed payments).
"""

from __future__ import annotations

from cxpulse.simulate.base import Timed, Traffic, lognormal, pick

DAY = 86400.0
LIFE_DAYS = 90
SOURCE_MIX = {"organic": 0.3, "paid": 0.25, "social": 0.1, "email": 0.1, "direct": 0.2,
              "other": 0.05}
PLANS = (0.0, 19.0, 49.0, 99.0, 299.0)
"""Monthly prices; 0 is the free plan (an active subscription with no revenue)."""
PLAN_MIX = {"1": 0.45, "2": 0.3, "3": 0.15, "0": 0.1}
CHURN_PER_DAY = 0.0012
CHANGE_PER_DAY = 0.01
REFERRALS_PER_DAY = 0.004
COMPLAINTS_PER_DAY = 0.002
CHANNEL_MIX = {"email": 0.5, "phone": 0.25, "chat": 0.15, "social": 0.1}


class CustomerTraffic(Traffic):
    family = "customer"
    source = "simulator/customers"

    def life(self, t: float) -> list[Timed]:
        rng = self.rng
        n = self.next_entity()
        customer = f"CU-{self.seed}-{n}"
        out = [self.event("customer.signed_up", t, {
            "customer_id": customer, "source": pick(rng, SOURCE_MIX)})]
        if rng.random() < 0.7:
            out += self._subscription(customer, f"SU-{self.seed}-{n}", t + rng.uniform(0, 600))
        for day in range(LIFE_DAYS):
            at = t + day * DAY + rng.uniform(0, DAY)
            if rng.random() < REFERRALS_PER_DAY:
                out += self._referral(customer, f"RF-{self.seed}-{n}-{day}", at)
            if rng.random() < COMPLAINTS_PER_DAY:
                out += self._complaint(customer, f"CO-{self.seed}-{n}-{day}", at)
        return out

    def _subscription(self, customer: str, sub: str, t: float) -> list[Timed]:
        rng = self.rng
        plan = int(pick(rng, PLAN_MIX))
        ids = {"subscription_id": sub, "customer_id": customer}
        out = [self.event("subscription.started", t, {**ids, "mrr": PLANS[plan]})]
        for day in range(LIFE_DAYS):
            at = t + day * DAY + rng.uniform(0, DAY)
            if rng.random() < CHURN_PER_DAY:
                out.append(self.event("subscription.cancelled", at,
                                      {**ids, "voluntary": rng.random() < 0.75}))
                break
            if rng.random() < CHANGE_PER_DAY:
                plan = max(0, min(len(PLANS) - 1, plan + rng.choice((-1, 1, 1))))
                out.append(self.event("subscription.changed", at, {**ids, "mrr": PLANS[plan]}))
        return out

    def _referral(self, customer: str, referral: str, t: float) -> list[Timed]:
        rng = self.rng
        out = [self.event("referral.sent", t, {"referral_id": referral, "customer_id": customer,
                                               "channel": pick(rng, CHANNEL_MIX)})]
        if rng.random() < 0.4:  # the friend signs up, and usually subscribes
            friend, at = f"{referral}-friend", t + lognormal(rng, DAY, 1.0)
            out.append(self.event("customer.signed_up", at, {
                "customer_id": friend, "source": "referral", "referral_id": referral}))
            if rng.random() < 0.8:
                out += self._subscription(friend, f"{referral}-sub", at + 300)
        return out

    def _complaint(self, customer: str, complaint: str, t: float) -> list[Timed]:
        rng = self.rng
        channel = pick(rng, CHANNEL_MIX)
        out = [self.event("complaint.opened", t, {
            "complaint_id": complaint, "customer_id": customer, "channel": channel})]
        if rng.random() < 0.9:  # a tenth never close; the rest close after days, some weeks
            out.append(self.event("complaint.closed", t + lognormal(rng, 2 * DAY, 1.4), {
                "complaint_id": complaint, "customer_id": customer,
                "upheld": rng.random() < 0.3}))
        return out
