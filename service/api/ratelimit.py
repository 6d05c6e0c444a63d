"""Who is calling, and may they call now: the key's principal, then its rate limit.

The limit is a token bucket per API key kept in Redis and updated by one Lua script, so every API
process draws from the same bucket and the clock is Redis's own. Redis failing opens the gate:
the limit protects the service, and a Redis outage must not turn into an API outage.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis as AsyncRedis

from service.api.deps import Session, provide_principal
from service.auth.keys import hash_key
from service.auth.service import Principal
from service.errors import ServiceError
from service.logs import bind

log = logging.getLogger(__name__)

# KEYS[1]: the bucket; ARGV: tokens per second, bucket size. Returns {allowed, retry_after_ms}.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now_ms
tokens = math.min(burst, tokens + math.max(0, now_ms - at) * rate / 1000)
local allowed = 0
local retry_ms = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry_ms = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now_ms)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, retry_ms}
"""
KEY_PREFIX = "ftjobs:ratelimit:"
WARN_EVERY_SECONDS = 30.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


class RateLimiter:
    def __init__(self, redis: AsyncRedis | None, *, per_minute: int, burst: int) -> None:
        self._enabled = redis is not None and per_minute > 0
        self._script = redis.register_script(BUCKET_SCRIPT) if redis is not None else None
        self._rate = per_minute / 60.0
        self._burst = burst
        self._warned_at = -math.inf

    async def check(self, key_id: str) -> Verdict:
        if not self._enabled or self._script is None:
            return Verdict(True)
        try:
            allowed, retry_ms = await self._script(
                keys=[KEY_PREFIX + key_id], args=[self._rate, self._burst]
            )
        except Exception:  # fail open, and say so now and then rather than on every request
            if time.monotonic() - self._warned_at > WARN_EVERY_SECONDS:
                self._warned_at = time.monotonic()
                log.warning("rate limit not enforced: Redis unavailable", exc_info=True)
            return Verdict(True)
        return Verdict(bool(allowed), max(1, math.ceil(int(retry_ms) / 1000)))

    async def enforce(self, key_id: str) -> None:
        verdict = await self.check(key_id)
        if not verdict.allowed:
            raise TooManyRequestsException(
                f"rate limit of {round(self._rate * 60)} requests per minute for this API key "
                f"exceeded; retry in {verdict.retry_after_seconds} s",
                headers={"Retry-After": str(verdict.retry_after_seconds)},
            )


class KeyCache:
    """Recently authenticated keys, by a hash of the Authorization header, for `ttl` seconds:
    saves a database round trip per request, at the price of a revoked key working for up to
    `ttl` more seconds in each API process. Off (ttl 0) unless FTJOBS_AUTH_CACHE_SECONDS."""

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, header: str) -> Principal | None:
        found = self._entries.get(hash_key(header)) if self.ttl > 0 else None
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, header: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()  # rare; a full cache of live keys simply refills
        self._entries[hash_key(header)] = (time.monotonic() + self.ttl, principal)


def limiter(request: Request[Any, Any, Any]) -> RateLimiter:
    found: RateLimiter = request.app.state.rate_limiter
    return found


async def provide_caller(request: Request[Any, Any, Any], session: Session) -> Principal:
    """The `principal` dependency: authenticates (401), tags the request's logs with the team,
    then spends one token of the key's bucket (429 with Retry-After when empty)."""
    cache: KeyCache = request.app.state.key_cache
    header = request.headers.get("authorization", "")
    principal = cache.get(header)
    if principal is None:
        principal = await provide_principal(request, session)
        cache.put(header, principal)
    bind(team=principal.team)
    await limiter(request).enforce(principal.key_id)
    return principal


def require_admin(principal: Principal) -> None:
    """For routes only `admin` keys may use: 403 for any other key."""
    if not principal.is_admin:
        raise ServiceError(
            "this route needs an API key with the admin scope", status=403, title="Forbidden"
        )
