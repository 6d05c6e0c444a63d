"""The per-key token bucket on the real Redis: leases, sharing between processes, failing open."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis as AsyncRedis

from service.api.ratelimit import RateLimiter, Verdict, lease_size
from tests.support.services import Backing


def test_a_lease_is_one_token_at_ordinary_limits_and_a_tenth_of_the_burst_at_high_ones() -> None:
    assert lease_size(600, 100) == 1
    assert lease_size(60, 3) == 1
    assert lease_size(6_000, 100) == 10
    assert lease_size(1_000_000_000, 100) == 10
    assert lease_size(1_000_000_000, 5) == 1


def with_redis(backing: Backing, work: Callable[[AsyncRedis], Any]) -> Any:
    async def run() -> Any:
        redis = AsyncRedis.from_url(backing.redis_url)
        try:
            return await work(redis)
        finally:
            await redis.aclose()

    return asyncio.run(run())


def test_processes_sharing_a_bucket_never_spend_more_than_it_holds(clean: Backing) -> None:
    async def work(redis: AsyncRedis) -> list[Verdict]:
        # Two API processes, a bucket of 40 that refills one token an hour: exactly 40 pass.
        first, second = (RateLimiter(redis, per_minute=1, burst=40) for _ in range(2))
        return await asyncio.gather(*(lim.check("key_1") for lim in [first, second] * 50))

    verdicts = with_redis(clean, work)
    assert sum(v.allowed for v in verdicts) == 40
    assert all(v.retry_after_seconds > 0 for v in verdicts if not v.allowed)


def test_a_busy_key_costs_one_redis_call_per_lease(clean: Backing) -> None:
    calls = 0

    async def work(redis: AsyncRedis) -> list[Verdict]:
        nonlocal calls
        limiter = RateLimiter(redis, per_minute=1_000_000, burst=100)  # leases of 10
        script = limiter._script  # counted, not replaced
        assert script is not None

        async def counted(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            return await original(*args, **kwargs)

        original, limiter._script = script, counted  # type: ignore[assignment]
        verdicts = await asyncio.gather(*(limiter.check("key_1") for _ in range(100)))
        # A lease fetched ahead may still be on its way: let it land before Redis closes.
        await asyncio.gather(*limiter._refills.values())
        return verdicts

    verdicts = with_redis(clean, work)
    assert all(v.allowed for v in verdicts)
    # 100 concurrent requests, one refill in flight at a time, plus one lease fetched ahead.
    assert calls in (10, 11)


def test_redis_down_lets_requests_through(clean: Backing) -> None:
    async def work() -> Verdict:
        dead = AsyncRedis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
        try:
            return await RateLimiter(dead, per_minute=1, burst=1).check("key_1")
        finally:
            await dead.aclose()

    assert asyncio.run(work()).allowed


def test_a_limit_of_zero_is_off(clean: Backing) -> None:
    async def work(redis: AsyncRedis) -> list[Verdict]:
        limiter = RateLimiter(redis, per_minute=0, burst=1)
        return [await limiter.check("key_1") for _ in range(5)]

    assert all(v.allowed for v in with_redis(clean, work))
