"""Session-level advisory locks: at most one worker works on a job (or uploads a dataset) at a
time. The lock lives on its own connection, so Postgres releases it when a killed worker's
connection drops; no lease to expire, no stale owner to clean up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(:key, 0))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtextextended(:key, 0))")


@asynccontextmanager
async def try_advisory_lock(engine: AsyncEngine, key: str) -> AsyncIterator[bool]:
    async with engine.connect() as connection:
        acquired = bool((await connection.execute(_TRY_LOCK, {"key": key})).scalar_one())
        await connection.commit()
        try:
            yield acquired
        finally:
            if acquired:
                await connection.execute(_UNLOCK, {"key": key})
                await connection.commit()
