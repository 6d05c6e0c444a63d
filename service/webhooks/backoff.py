"""When to try a delivery again, and when to give up (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    base: float  # seconds before the first retry (before jitter)
    maximum: float  # the longest gap between two attempts (before Retry-After)
    horizon: float  # seconds after the event when the delivery is given up
    disable_after: float  # an endpoint failing continuously this long is disabled

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Exponential in the number of failures so far, with jitter over the upper half: a
        receiver coming back from an outage is not hit by every delivery at the same instant."""
        ceiling = min(self.maximum, self.base * 2 ** max(0, failures - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)


def next_attempt(
    policy: RetryPolicy,
    *,
    failures: int,
    now: datetime,
    first_at: datetime,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime | None:
    """The time of the next attempt after `failures` failed ones, or None to give up. Never
    sooner than the receiver's Retry-After; the last attempt lands on the horizon itself, so a
    delivery is tried for the whole window and not a random part of it."""
    deadline = first_at + timedelta(seconds=policy.horizon)
    wait = max(policy.delay(failures, rng), retry_after or 0.0)
    candidate = now + timedelta(seconds=wait)
    if candidate <= deadline:
        return candidate
    if now < deadline and now + timedelta(seconds=retry_after or 0.0) <= deadline:
        return deadline
    return None


def schedule(policy: RetryPolicy, rng: random.Random | None = None) -> list[float]:
    """Seconds after the first attempt of every retry, if every attempt fails at once
    (documentation and tests)."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    now, times, failures = start, [], 1
    while (
        at := next_attempt(policy, failures=failures, now=now, first_at=start, rng=rng)
    ) is not None:
        times.append((at - start).total_seconds())
        now, failures = at, failures + 1
    return times


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After`: delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def failing_too_long(policy: RetryPolicy, failing_since: datetime | None, now: datetime) -> bool:
    return failing_since is not None and now - failing_since >= timedelta(
        seconds=policy.disable_after
    )
