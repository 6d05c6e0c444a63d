"""Retry timing: jittered exponential backoff for about three days, Retry-After honoured (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from service.webhooks.backoff import (
    RetryPolicy,
    failing_too_long,
    next_attempt,
    parse_retry_after,
    schedule,
)

DAY = 86400.0
POLICY = RetryPolicy(base=5, maximum=6 * 3600, horizon=3 * DAY, disable_after=5 * DAY)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_delays_grow_exponentially_within_their_jitter_band() -> None:
    rng = random.Random(7)
    for failures, ceiling in [(1, 5), (2, 10), (3, 20), (10, 2560), (30, 6 * 3600)]:
        delays = [POLICY.delay(failures, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (failures, delays)
        assert len(set(delays)) > 1  # jittered, not fixed


def test_the_schedule_covers_about_three_days_and_ends_on_the_horizon() -> None:
    times = schedule(POLICY, random.Random(1))
    assert times == sorted(times)
    assert times[0] <= 5
    assert times[-1] == 3 * DAY
    assert 15 <= len(times) <= 40
    # Early retries are quick, late ones hours apart.
    assert times[3] < 120 and times[-2] > 2 * DAY


def test_past_the_horizon_the_delivery_is_given_up() -> None:
    late = T0 + timedelta(seconds=3 * DAY)
    assert next_attempt(POLICY, failures=20, now=late, first_at=T0) is None


def test_retry_after_is_honoured_and_never_sooner() -> None:
    at = next_attempt(POLICY, failures=1, now=T0, first_at=T0, retry_after=120)
    assert at == T0 + timedelta(seconds=120)
    # A Retry-After beyond the horizon means giving up rather than sending too early.
    assert next_attempt(POLICY, failures=1, now=T0, first_at=T0, retry_after=4 * DAY) is None


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("30", T0) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", T0) == 60.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", T0) == 0.0
    assert parse_retry_after("soon", T0) is None
    assert parse_retry_after(None, T0) is None


def test_an_endpoint_failing_for_the_whole_period_is_disabled() -> None:
    assert not failing_too_long(POLICY, None, T0)
    assert not failing_too_long(POLICY, T0, T0 + timedelta(days=4))
    assert failing_too_long(POLICY, T0, T0 + timedelta(days=5))
