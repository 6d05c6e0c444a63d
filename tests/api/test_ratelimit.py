"""The per-key token bucket on the real Redis: leases, sharing between processes, failing open."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from redis.asyncio import Redis as AsyncRedis

from service.api.ratelimit import RateLimiter, Verdict, _Lease, lease_cap
from tests.support.services import Backing


def count_calls(limiter: RateLimiter, calls: list[int]) -> None:
    """Record the tokens each Redis call asks for; the script still runs."""
    script = limiter._script
    assert script is not None

    async def counted(*, keys: list[str], args: list[Any]) -> Any:
        calls.append(int(args[2]))
        return await script(keys=keys, args=args)

    limiter._script = counted  # type: ignore[assignment]


def test_a_lease_is_one_token_at_ordinary_limits_and_at_most_half_the_bucket() -> None:
    assert lease_cap(600, 100) == 1  # the default limits: every request asks Redis
    assert lease_cap(60, 3) == 1
    assert lease_cap(6_000, 100) == 10  # a tenth of a second's rate
    assert lease_cap(1_000_000_000, 100) == 50  # half the bucket
    assert lease_cap(1_000_000_000, 1) == 1


def test_the_next_lease_covers_50_ms_at_the_pace_the_last_was_spent() -> None:
    lease = _Lease(tokens=10, size=50, started=100.0, until=101.0)
    assert lease.wanted_next(100.1) == 20  # 40 tokens in 0.1 s: 400/s, for 0.05 s
    assert _Lease(tokens=5, size=5, started=100.0, until=101.0).wanted_next(100.5) == 0


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


def test_concurrent_requests_share_one_refill_sized_for_them_all(clean: Backing) -> None:
    calls: list[int] = []  # tokens asked for, per Redis call

    async def work(redis: AsyncRedis) -> list[Verdict]:
        limiter = RateLimiter(redis, per_minute=60_000, burst=1_000)  # leases of 1..100
        count_calls(limiter, calls)
        verdicts = await asyncio.gather(*(limiter.check("key_1") for _ in range(60)))
        # A lease fetched ahead may still be on its way: let it land before Redis closes.
        await asyncio.gather(*limiter._refills.values())
        return verdicts

    verdicts = with_redis(clean, work)
    assert all(v.allowed for v in verdicts)
    # 60 requests waiting: one call for 60 tokens, not 60 calls for one; then one ahead.
    assert calls[0] == 60 and len(calls) <= 2, calls


def test_at_ordinary_limits_each_request_takes_one_token_and_none_ahead(clean: Backing) -> None:
    calls: list[int] = []

    async def work(redis: AsyncRedis) -> list[Verdict]:
        limiter = RateLimiter(redis, per_minute=600, burst=100)  # the defaults
        count_calls(limiter, calls)
        verdicts = [await limiter.check("key_1") for _ in range(3)]
        assert not any(not refill.done() for refill in limiter._refills.values())
        return verdicts

    assert all(v.allowed for v in with_redis(clean, work))
    assert calls == [1, 1, 1]


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


@pytest.mark.timeout(60)
def test_rounds_of_concurrent_requests_share_refilled_leases(clean: Backing) -> None:
    async def work(redis: AsyncRedis) -> list[Verdict]:
        # Leases of up to 1,000 (a tenth of a second's rate) from a bucket that holds far more
        # than the 1,280 requests: none may be refused, whatever the timing. (With a bucket of
        # 100, two leases of 50 fetched within one millisecond, the script's clock tick, empty
        # it: a third is refused, correctly, and the test was flaky.)
        limiter = RateLimiter(redis, per_minute=600_000, burst=100_000)
        count_calls(limiter, calls)
        verdicts: list[Verdict] = []
        for _ in range(20):
            verdicts += await asyncio.gather(*(limiter.check("key_1") for _ in range(64)))
        await asyncio.gather(*limiter._refills.values())
        return verdicts

    calls: list[int] = []  # tokens asked for, per Redis call
    verdicts = with_redis(clean, work)
    assert len(verdicts) == 20 * 64 and all(v.allowed for v in verdicts)
    # Refilled leases, each shared by many requests: a handful of calls, not one per request.
    assert calls[0] == 64 and 2 <= len(calls) <= 20, calls


@pytest.mark.timeout(30)
def test_a_drained_lease_right_after_a_refill_waits_for_a_new_one(clean: Backing) -> None:
    # A request that finds the lease empty just as a refill has finished must wait for a new
    # one, not await the finished one (which returns at once: `check` would spin forever).
    async def work(redis: AsyncRedis) -> Verdict:
        limiter = RateLimiter(redis, per_minute=1_000_000_000, burst=100)
        refill = limiter._start_refill("key_1")
        # Step the loop until the refill ends, before anything else it scheduled has run.
        while not refill.done():  # noqa: ASYNC110  (one loop iteration at a time, on purpose)
            await asyncio.sleep(0)
        limiter._leases["key_1"].tokens = 0  # other requests took every token meanwhile
        return await limiter.check("key_1")

    assert with_redis(clean, work).allowed
