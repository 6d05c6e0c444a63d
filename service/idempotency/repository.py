"""All SQL about remembered Idempotency-Keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.ops_models import IdempotencyKey


async def insert_claim(session: AsyncSession, row: IdempotencyKey) -> bool:
    """True when the key was free and is now held by `row.lock_token`."""
    values = {column.key: getattr(row, column.key) for column in IdempotencyKey.__table__.columns}
    values.pop("created_at")
    statement = (
        insert(IdempotencyKey)
        .values(values)
        .on_conflict_do_nothing(index_elements=["team", "key"])
        .returning(IdempotencyKey.team)
    )
    return (await session.execute(statement)).first() is not None


async def get_for_update(session: AsyncSession, team: str, key: str) -> IdempotencyKey | None:
    query = (
        select(IdempotencyKey)
        .where(IdempotencyKey.team == team, IdempotencyKey.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def take_over(session: AsyncSession, row: IdempotencyKey) -> None:
    """Reuses an expired row, or one whose holder died, for a new request."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.team == row.team, IdempotencyKey.key == row.key)
        .values(
            fingerprint=row.fingerprint,
            method=row.method,
            path=row.path,
            lock_token=row.lock_token,
            locked_at=row.locked_at,
            response_status=None,
            response_media_type=None,
            response_body=None,
            expires_at=row.expires_at,
        )
        .execution_options(synchronize_session=False)
    )


async def complete(
    session: AsyncSession,
    team: str,
    key: str,
    token: str,
    *,
    status: int,
    media_type: str,
    body: bytes,
) -> bool:
    """Stores the response, if `token` still holds the key."""
    result = await session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.team == team,
            IdempotencyKey.key == key,
            IdempotencyKey.lock_token == token,
        )
        .values(
            lock_token=None,
            locked_at=None,
            response_status=status,
            response_media_type=media_type,
            response_body=body,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, team: str, key: str, token: str) -> None:
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.team == team,
            IdempotencyKey.key == key,
            IdempotencyKey.lock_token == token,
        )
    )


async def delete_expired(session: AsyncSession, now: datetime, limit: int) -> int:
    """Deletes up to `limit` expired rows (short statements keep locks and WAL bursts small)."""
    batch = (
        select(IdempotencyKey.team, IdempotencyKey.key)
        .where(IdempotencyKey.expires_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(IdempotencyKey).where(tuple_(IdempotencyKey.team, IdempotencyKey.key).in_(batch))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
