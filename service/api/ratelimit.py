"""May this key call now: a per-key rate limit.

The limit is a token bucket per API key kept in Redis and updated by one Lua script, so every API
process draws from the same bucket and the clock is Redis's own. A process takes tokens in
leases and spends them locally for up to a second: a lease covers the requests waiting for it
and about 50 ms at the pace the last one was spent, within half the bucket and a tenth of a
second's rate (so one token at the default limits). A busy key then costs a Redis call every
50 ms or so instead of one per request, and the processes together still never spend more than
the bucket held. A lease half spent fetches the next one in the background, so a busy key's
requests seldom wait for Redis. Redis failing opens the gate: the limit protects the service,
and a Redis outage must not turn into an API outage.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from dataclasses import dataclass

from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis as AsyncRedis

log = logging.getLogger(__name__)

# KEYS[1]: the bucket; ARGV: tokens per second, bucket size, tokens wanted.
# Returns {tokens granted (0 .. wanted), ms until one token is there when none was granted}.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now_ms
tokens = math.min(burst, tokens + math.max(0, now_ms - at) * rate / 1000)
local granted = math.min(wanted, math.floor(tokens))
local retry_ms = 0
if granted >= 1 then
  tokens = tokens - granted
else
  granted = 0
  retry_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now_ms)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {granted, retry_ms}
"""
KEY_PREFIX = "ftjobs:ratelimit:"
WARN_EVERY_SECONDS = 30.0
LEASE_SECONDS = 1.0  # unspent leased tokens are dropped after this: the rate stays honest
AHEAD_SECONDS = 0.05  # a lease covers this long at the rate the last one was spent


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


ALLOWED = Verdict(True)


@dataclass
class _Lease:
    tokens: int  # left
    size: int  # granted
    started: float
    until: float

    def wanted_next(self, now: float) -> int:
        """Tokens for the next AHEAD_SECONDS at the pace this lease was spent."""
        pace = (self.size - self.tokens) / max(now - self.started, 1e-3)
        return round(pace * AHEAD_SECONDS)


def lease_cap(per_minute: int, burst: int) -> int:
    """The most tokens one process takes at once: half the bucket, and no more than a tenth
    of a second's rate (so one token at ordinary limits)."""
    return max(1, min(burst // 2, int(per_minute / 60 / 10)))


class RateLimiter:
    def __init__(self, redis: AsyncRedis | None, *, per_minute: int, burst: int) -> None:
        self._enabled = redis is not None and per_minute > 0
        self._script = redis.register_script(BUCKET_SCRIPT) if redis is not None else None
        self._rate = per_minute / 60.0
        self._burst = burst
        self._lease_cap = lease_cap(per_minute, burst)
        self._leases: dict[str, _Lease] = {}
        self._refills: dict[str, asyncio.Future[Verdict]] = {}
        self._waiting: Counter[str] = Counter()  # requests waiting for a key's refill
        self._warned_at = -math.inf

    async def check(self, key_id: str) -> Verdict:
        if not self._enabled:
            return ALLOWED
        while True:
            lease = self._leases.get(key_id)
            if lease is not None and lease.tokens > 0 and lease.until > time.monotonic():
                lease.tokens -= 1
                if lease.size > 1 and lease.tokens * 2 < lease.size:
                    # The next lease arrives before it is needed. Never for one-token leases
                    # (ordinary limits): a token taken ahead and left to expire is lost.
                    self._start_refill(key_id)
                return ALLOWED
            # Concurrent requests wait for the one refill in flight, which asks for enough
            # tokens for all of them, then take from it.
            self._waiting[key_id] += 1
            try:
                verdict = await asyncio.shield(self._start_refill(key_id))
            finally:
                self._waiting[key_id] -= 1
            if not verdict.allowed:
                return verdict

    def _start_refill(self, key_id: str) -> asyncio.Future[Verdict]:
        """The refill in flight for this key, or a new one. A finished one is never reused:
        awaiting it would return at once, and `check` would spin without yielding."""
        refill = self._refills.get(key_id)
        if refill is None or refill.done():
            refill = asyncio.ensure_future(self._refill(key_id))
            self._refills[key_id] = refill
        return refill

    async def _refill(self, key_id: str) -> Verdict:
        assert self._script is not None
        wanted = self._wanted(key_id, time.monotonic())
        try:
            granted, retry_ms = await self._script(
                keys=[KEY_PREFIX + key_id], args=[self._rate, self._burst, wanted]
            )
        except Exception:  # fail open, and say so now and then rather than on every request
            if time.monotonic() - self._warned_at > WARN_EVERY_SECONDS:
                self._warned_at = time.monotonic()
                log.warning("rate limit not enforced: Redis unavailable", exc_info=True)
            granted, retry_ms = wanted, 0
        if int(granted) < 1:
            return Verdict(False, max(1, math.ceil(int(retry_ms) / 1000)))
        now = time.monotonic()
        lease = self._leases.get(key_id)
        size = int(granted) + (lease.tokens if lease is not None and lease.until > now else 0)
        self._leases[key_id] = _Lease(size, size, now, now + LEASE_SECONDS)
        return ALLOWED

    def _wanted(self, key_id: str, now: float) -> int:
        """As many tokens as the requests waiting for this refill (they queue up while its
        task waits its turn on the event loop), or as the last lease's pace asks for, within
        the cap: a busy key then refills about every AHEAD_SECONDS, however busy."""
        lease = self._leases.get(key_id)
        pace = lease.wanted_next(now) if lease is not None else 1
        return max(1, min(self._lease_cap, max(pace, self._waiting[key_id])))

    async def enforce(self, key_id: str) -> None:
        verdict = await self.check(key_id)
        if not verdict.allowed:
            raise TooManyRequestsException(
                f"rate limit of {round(self._rate * 60)} requests per minute for this API key "
                f"exceeded; retry in {verdict.retry_after_seconds} s",
                headers={"Retry-After": str(verdict.retry_after_seconds)},
            )
