"""The scheduler's question: which jobs should be moving and are not?"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.jobs import repository


async def claim_due_jobs(
    sessions: async_sessionmaker[AsyncSession], *, lease: timedelta, limit: int = 500
) -> list[str]:
    """Jobs whose wake-up time has passed (a poll due, a submit or cancel not done, a worker
    that died holding it). Each is pushed one lease ahead, so it is enqueued once per lease."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        return await repository.claim_due(session, now, now + lease, limit)
