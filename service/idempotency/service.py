"""Idempotency-Key: the same key and request replay the first response; another request with
the key is refused (422); a request whose first run is still going is told so (409).

The lifecycle of a key: `claim` (committed on its own, so concurrent requests see it), the work,
then `complete` in the work's own transaction, so the response is remembered exactly when the
work is committed. Work that fails calls `release`, and a retry runs afresh.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.db.ops_models import IdempotencyKey
from service.errors import ServiceError, conflict
from service.idempotency import repository

MAX_KEY_LENGTH = 255
PURGE_BATCH = 5000


@dataclass(frozen=True)
class KeyRequest:
    team: str
    key: str
    method: str
    path: str
    fingerprint: str


@dataclass(frozen=True)
class Policy:
    ttl: timedelta
    lock_timeout: timedelta


@dataclass(frozen=True)
class StoredResponse:
    status: int
    media_type: str
    body: bytes


@dataclass(frozen=True)
class Claim:
    """Either the caller holds the key (`token`) and must complete or release it, or `replay`
    is the first response to send again."""

    token: str | None = None
    replay: StoredResponse | None = None


class Decision(Enum):
    REPLAY = "replay"
    MISMATCH = "mismatch"
    IN_FLIGHT = "in_flight"
    TAKE_OVER = "take_over"


def fingerprint(method: str, path: str, body: Any) -> str:
    """Canonical JSON (sorted keys), so the same request with reordered keys still matches."""
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    digest.update(msgspec.json.encode(body, order="sorted"))
    return digest.hexdigest()


def check_key(key: str) -> str | None:
    """The reason a key is unusable, or None."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        return f"Idempotency-Key must be 1..{MAX_KEY_LENGTH} characters"
    if not key.isascii() or not key.isprintable():
        return "Idempotency-Key must be printable ASCII"
    return None


def decide(
    row: IdempotencyKey, fingerprint: str, now: datetime, lock_timeout: timedelta
) -> Decision:
    """What to do with a request whose key is already stored (pure)."""
    if row.expires_at <= now:
        return Decision.TAKE_OVER
    if row.fingerprint != fingerprint:
        return Decision.MISMATCH
    if row.response_status is not None:
        return Decision.REPLAY
    if row.locked_at is not None and row.locked_at + lock_timeout <= now:
        return Decision.TAKE_OVER
    return Decision.IN_FLIGHT


async def claim(session: AsyncSession, request: KeyRequest, policy: Policy) -> Claim:
    """The caller commits right after, before starting the work."""
    for _ in range(3):  # a key released between our two statements is free again: try again
        now = datetime.now(UTC)
        row = _new_row(request, policy, now)
        if await repository.insert_claim(session, row):
            return Claim(token=row.lock_token)
        stored = await repository.get_for_update(session, request.team, request.key)
        if stored is None:
            continue
        decision = decide(stored, request.fingerprint, now, policy.lock_timeout)
        if decision is Decision.TAKE_OVER:
            await repository.take_over(session, row)
            return Claim(token=row.lock_token)
        if decision is Decision.REPLAY:
            return Claim(replay=_stored_response(stored))
        raise _refusal(decision, stored)
    raise conflict("a request with this Idempotency-Key is in progress; retry shortly")


def _new_row(request: KeyRequest, policy: Policy, now: datetime) -> IdempotencyKey:
    return IdempotencyKey(
        team=request.team,
        key=request.key,
        fingerprint=request.fingerprint,
        method=request.method,
        path=request.path,
        lock_token=uuid.uuid4().hex,
        locked_at=now,
        expires_at=now + policy.ttl,
    )


def _stored_response(row: IdempotencyKey) -> StoredResponse:
    return StoredResponse(
        status=row.response_status or 200,
        media_type=row.response_media_type or "application/json",
        body=row.response_body or b"",
    )


def _refusal(decision: Decision, row: IdempotencyKey) -> ServiceError:
    if decision is Decision.MISMATCH:
        return ServiceError(
            f"this Idempotency-Key was used for a different request ({row.method} {row.path} "
            "with another body); use a new key for a new request",
            status=422,
            title="Idempotency-Key reused",
        )
    return conflict(
        "the first request with this Idempotency-Key is still in progress; retry shortly"
    )


async def complete(
    session: AsyncSession, request: KeyRequest, token: str, response: StoredResponse
) -> None:
    """In the work's transaction. If the key was taken over meanwhile (this request outlived the
    lock timeout), the work must not commit: the other request owns the key now."""
    stored = await repository.complete(
        session,
        request.team,
        request.key,
        token,
        status=response.status,
        media_type=response.media_type,
        body=response.body,
    )
    if not stored:
        raise conflict("this request outlived its Idempotency-Key lock; retry with the same key")


async def release(session: AsyncSession, request: KeyRequest, token: str) -> None:
    await repository.release(session, request.team, request.key, token)


async def purge_expired(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Deletes expired keys in short batches; returns how many. For the scheduler, every few
    minutes: expired keys are already ignored, so this only keeps the table small."""
    total = 0
    while True:
        async with sessions.begin() as session:
            deleted = await repository.delete_expired(session, datetime.now(UTC), PURGE_BATCH)
        total += deleted
        if deleted < PURGE_BATCH:
            return total
