"""Who is calling: the `principal` dependency of every /v1 route.

The key is looked up on the read path (service.db.reader) unless this process's cache holds it;
the cache is kept honest by revocation notices (service.auth.cache). Then the key's rate limit.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from service.api.deps import resources
from service.api.ratelimit import RateLimiter
from service.auth.cache import PrincipalCache
from service.auth.service import Principal, authenticate
from service.errors import ServiceError
from service.logs import bind

_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def bearer_token(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "missing API key: send `Authorization: Bearer <key>`", headers=_CHALLENGE
        )
    return token.strip()


async def provide_caller(request: Request[Any, Any, Any]) -> Principal:
    """Authenticates (401), tags the request's logs with the team, then spends one token of
    the key's bucket (429 with Retry-After when empty)."""
    state = request.app.state
    token = bearer_token(request.headers.get("authorization", ""))
    cache: PrincipalCache = state.key_cache
    principal = cache.get(token)
    if principal is None:
        generation = cache.generation
        principal = await authenticate(resources(state).reader, token)
        if principal is None:
            raise NotAuthorizedException("unknown or revoked API key", headers=_CHALLENGE)
        cache.put(token, principal, generation)
    bind(team=principal.team)
    limiter: RateLimiter = state.rate_limiter
    await limiter.enforce(principal.key_id)
    return principal


def require_admin(principal: Principal) -> None:
    """For routes only `admin` keys may use: 403 for any other key."""
    if not principal.is_admin:
        raise ServiceError(
            "this route needs an API key with the admin scope", status=403, title="Forbidden"
        )
