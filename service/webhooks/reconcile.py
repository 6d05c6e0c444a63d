"""The scheduler's question about webhooks: which deliveries are due and not on their way?"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.webhooks import repository

DELIVER_TASK = "workers.webhook_tasks.deliver_webhook"


async def claim_due_deliveries(
    sessions: async_sessionmaker[AsyncSession], *, lease: timedelta, limit: int = 500
) -> list[str]:
    """Deliveries whose next attempt is due (new events, retries, a worker that died during
    an attempt), oldest first. Each is marked as enqueued for one lease, so it is enqueued once
    per lease; its next_attempt_at is left as the time the API shows."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        return await repository.claim_due(session, now, now + lease, limit)
