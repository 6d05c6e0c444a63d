"""Reading what a job produced, and OpenAI's webhooks that say a job changed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.lifecycle_models import JobCheckpoint, JobMetric
from service.jobs import results_repository
from service.jobs.service import get
from service.providers.base import WebhookNotice


async def checkpoints(session: AsyncSession, team: str | None, job_id: str) -> list[JobCheckpoint]:
    await get(session, team, job_id)
    return await results_repository.checkpoints(session, job_id)


async def metrics_page(
    session: AsyncSession, team: str | None, job_id: str, *, after_step: int, limit: int
) -> list[JobMetric]:
    await get(session, team, job_id)
    return await results_repository.metrics_page(
        session, job_id, after_step=after_step, limit=limit
    )


async def note_webhook(session: AsyncSession, notice: WebhookNotice) -> str | None:
    """Records the webhook once (OpenAI retries with the same id) and makes its job due now.
    Returns our job id when there is something to refresh; None for a duplicate, or a job that
    is not ours or has finished."""
    first = await results_repository.record_webhook(
        session, notice.webhook_id, notice.type, notice.job_id
    )
    if not first or notice.job_id is None:
        return None
    return await results_repository.wake_by_openai_id(session, notice.job_id)
