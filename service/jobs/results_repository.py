"""All SQL about following a job at OpenAI: checkpoints, per-step metrics, OpenAI's webhooks."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.lifecycle_models import JobCheckpoint, JobMetric, OpenAIWebhook
from service.db.models import Job
from service.providers.base import RemoteCheckpoint


async def upsert_checkpoints(
    session: AsyncSession, job_id: str, checkpoints: list[RemoteCheckpoint]
) -> None:
    if not checkpoints:
        return
    rows = [
        {
            "id": c.id,
            "job_id": job_id,
            "step": c.step,
            "metrics": c.metrics,
            "fine_tuned_model_checkpoint": c.fine_tuned_model_checkpoint,
            "created_at": c.created_at,
        }
        for c in checkpoints
    ]
    statement = insert(JobCheckpoint).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[JobCheckpoint.id], set_={"metrics": statement.excluded.metrics}
        )
    )


async def merge_metrics(
    session: AsyncSession, job_id: str, steps: dict[int, dict[str, float]]
) -> None:
    """Adds to each step's values (events first, the result file's columns later)."""
    if not steps:
        return
    rows = [{"job_id": job_id, "step": step, "values": values} for step, values in steps.items()]
    statement = insert(JobMetric).values(rows)
    merged = JobMetric.values.op("||")(statement.excluded["values"])
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[JobMetric.job_id, JobMetric.step], set_={"values": merged}
        )
    )


async def checkpoints(session: AsyncSession, job_id: str) -> list[JobCheckpoint]:
    query = select(JobCheckpoint).where(JobCheckpoint.job_id == job_id).order_by(JobCheckpoint.step)
    return list((await session.execute(query)).scalars())


async def metrics_page(
    session: AsyncSession, job_id: str, *, after_step: int, limit: int
) -> list[JobMetric]:
    query = (
        select(JobMetric)
        .where(JobMetric.job_id == job_id, JobMetric.step > after_step)
        .order_by(JobMetric.step)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def record_webhook(
    session: AsyncSession, webhook_id: str, type_: str, openai_job_id: str | None
) -> bool:
    """True the first time this webhook id is seen."""
    statement = (
        insert(OpenAIWebhook)
        .values(webhook_id=webhook_id, type=type_, openai_job_id=openai_job_id)
        .on_conflict_do_nothing()
        .returning(OpenAIWebhook.webhook_id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def wake_by_openai_id(session: AsyncSession, openai_job_id: str) -> str | None:
    """Makes the (unfinished) job with this OpenAI id due now; returns its id."""
    statement = (
        update(Job)
        .where(
            Job.provider == "openai", Job.provider_job_id == openai_job_id, Job.wake_at.is_not(None)
        )
        .values(wake_at=func.now())
        .returning(Job.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()
