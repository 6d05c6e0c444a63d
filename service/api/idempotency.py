"""`Idempotency-Key` on creating POSTs, at the edge (the rules are in service.idempotency).

A handler adopts it by handing its work to `run_once`:

    return await run_once(request, session, after_commit, team, lambda: create(...), body=data)

`work` returns the response (or the body, sent with the route's status code). The remembered
response is written in the request's transaction, so it and the work commit together, at the
edge, like any request. Only the claim of the key is committed on its own, first, on its own
connection: a concurrent request with the key must see it in flight. Side effects that must
follow the commit (enqueueing) are registered by `work` with `after_commit`; a replay does not
run `work`, so it registers none.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any, Protocol

from litestar import MediaType, Request, Response
from litestar.datastructures import State
from litestar.utils import get_enum_string_value
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.api.deps import AfterCommit, resources
from service.errors import FieldError, ServiceError
from service.idempotency import service as idempotency
from service.idempotency.service import KeyRequest, Policy, StoredResponse

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


class Sealer(Protocol):
    """Keeps a secret out of a remembered body: `seal` before it is stored, `unseal` on a replay
    (which may refuse with a ServiceError when the secret can no longer be shown)."""

    def seal(self, body: bytes) -> bytes: ...

    async def unseal(self, session: AsyncSession, body: bytes) -> bytes: ...


async def run_once(
    request: Request[Any, Any, State],
    session: AsyncSession,
    after_commit: AfterCommit,
    team: str,
    work: Callable[[], Awaitable[Any]],
    *,
    body: Any,
    sealer: Sealer | None = None,
) -> Response[Any]:
    """Runs `work` in the request's transaction. With an Idempotency-Key header: at most once
    per (team, key); `body` (anything msgspec encodes) is what makes two requests "the same"."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return _as_response(request, await work())
    key_request = _key_request(request, team, key, body)
    sessions = resources(request.app.state).sessions
    async with sessions.begin() as claiming:
        claim = await idempotency.claim(claiming, key_request, _policy(request))
    if claim.replay is not None:
        return _replayed(await _unseal(sealer, session, claim.replay))
    assert claim.token is not None
    # If the work or the request's commit fails, the key is freed so that a retry runs.
    after_commit.undo(_release, sessions, key_request, claim.token)
    response = _as_response(request, await work())
    stored = _freeze(request, response)
    await idempotency.complete(session, key_request, claim.token, _seal(sealer, stored))
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=stored.media_type,
        headers=response.headers,
    )


def _key_request(request: Request[Any, Any, State], team: str, key: str, body: Any) -> KeyRequest:
    problem = idempotency.check_key(key)
    if problem is not None:
        raise ServiceError(
            problem, errors=[FieldError("invalid_idempotency_key", problem, path="/headers")]
        )
    path = request.scope.get("path_template") or request.url.path
    return KeyRequest(
        team=team,
        key=key,
        method=request.method,
        path=path,
        fingerprint=idempotency.fingerprint(request.method, path, body),
    )


def _policy(request: Request[Any, Any, State]) -> Policy:
    settings = resources(request.app.state).settings
    return Policy(
        ttl=timedelta(seconds=settings.idempotency_ttl_seconds),
        lock_timeout=timedelta(seconds=settings.idempotency_lock_seconds),
    )


def _as_response(request: Request[Any, Any, State], result: Any) -> Response[Any]:
    if isinstance(result, Response):
        return result
    return Response(result, status_code=request.route_handler.status_code)


def _freeze(request: Request[Any, Any, State], response: Response[Any]) -> StoredResponse:
    """The exact bytes sent, so a replay is byte-for-byte the first response."""
    declared = response.media_type or request.route_handler.media_type
    media_type = get_enum_string_value(declared) if declared else MediaType.JSON.value
    return StoredResponse(
        status=response.status_code or request.route_handler.status_code,
        media_type=media_type,
        body=response.render(response.content, media_type),
    )


def _seal(sealer: Sealer | None, stored: StoredResponse) -> StoredResponse:
    if sealer is None:
        return stored
    return replace(stored, body=sealer.seal(stored.body))


async def _unseal(
    sealer: Sealer | None, session: AsyncSession, stored: StoredResponse
) -> StoredResponse:
    if sealer is None:
        return stored
    return replace(stored, body=await sealer.unseal(session, stored.body))


def _replayed(stored: StoredResponse) -> Response[bytes]:
    return Response(
        stored.body,
        status_code=stored.status,
        media_type=stored.media_type,
        headers={REPLAYED: "true"},
    )


async def _release(
    sessions: async_sessionmaker[AsyncSession], key_request: KeyRequest, token: str
) -> None:
    """Frees the key after failed work, so a retry runs; if even that fails, the key frees
    itself after the lock timeout."""
    try:
        async with sessions.begin() as session:
            await idempotency.release(session, key_request, token)
    except Exception:
        log.warning("could not release Idempotency-Key after a failed request", exc_info=True)
