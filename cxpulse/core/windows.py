"""Event-time buckets and the trailing windows of the contract (SPEC §2)."""

from __future__ import annotations

BUCKET_SECONDS = 60
WINDOWS: dict[str, int] = {"5m": 5, "1h": 60, "24h": 1440}
"""Window label -> size in 1-minute buckets."""

LATE_AFTER_SECONDS = 24 * 3600 + 60
"""An event older than now - 24h - 1m lands before the oldest bucket still kept."""


def bucket(t: float) -> int:
    """The 1-minute bucket (minutes since the epoch) an event time lands in."""
    return int(t // BUCKET_SECONDS)


def window_buckets(now: float, size: int) -> range:
    """Buckets b with floor_minute(now) - size < b <= floor_minute(now)."""
    last = bucket(now)
    return range(last - size + 1, last + 1)


def oldest_kept_bucket(now: float) -> int:
    """Buckets older than this are dropped; events landing there are late."""
    return bucket(now - LATE_AFTER_SECONDS)


def is_late(t: float, now: float | None) -> bool:
    """True when the event lands before the oldest bucket still kept."""
    return now is not None and t < now - LATE_AFTER_SECONDS
