"""All SQL about API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.keys import REVOCATIONS_CHANNEL
from service.db.models import ApiKey
from service.db.reader import Reader, Row, compile_query

# Every authenticated request that misses the cache runs this: the read path, not the ORM.
_ACTIVE_BY_HASH = compile_query(
    select(ApiKey.id, ApiKey.team, ApiKey.is_admin).where(
        ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
    )
)
# A console session holds the key's id, never the key: each page checks it is still active.
_ACTIVE_BY_ID = compile_query(
    select(ApiKey.id, ApiKey.team, ApiKey.is_admin).where(
        ApiKey.id == bindparam("key_id"), ApiKey.revoked_at.is_(None)
    )
)


async def add(session: AsyncSession, key: ApiKey) -> None:
    session.add(key)
    await session.flush()


async def find_active_by_hash(reader: Reader, key_hash: str) -> Row | None:
    """The key's id, team and is_admin, if it exists and is not revoked."""
    return await reader.one(_ACTIVE_BY_HASH, key_hash=key_hash)


async def find_active_by_id(reader: Reader, key_id: str) -> Row | None:
    """The key's id, team and is_admin, if it exists and is not revoked."""
    return await reader.one(_ACTIVE_BY_ID, key_id=key_id)


async def list_all(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.id))).scalars())


async def revoke(session: AsyncSession, key_id: str, when: datetime) -> bool:
    """Revoke, and tell every API process at commit (NOTIFY is transactional) so their caches
    drop the key."""
    query = (
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=when)
    )
    revoked = bool((await session.execute(query)).rowcount)  # type: ignore[attr-defined]
    if revoked:
        await session.execute(select(func.pg_notify(REVOCATIONS_CHANNEL, key_id)))
    return revoked
