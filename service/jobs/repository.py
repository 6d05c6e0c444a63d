"""All SQL about jobs and their events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Job, JobEvent
from service.ids import new_id
from service.jobs.states import JobStatus
from service.webhooks import outbox


@dataclass(frozen=True)
class NewEvent:
    type: str
    message: str
    level: str = "info"
    source: str = "ftjobs"
    data: dict[str, Any] | None = None
    provider_event_id: str | None = None
    created_at: datetime | None = None


async def add(session: AsyncSession, job: Job) -> None:
    session.add(job)
    await session.flush()


async def get(
    session: AsyncSession, job_id: str, *, team: str | None = None, for_update: bool = False
) -> Job | None:
    query = select(Job).where(Job.id == job_id)
    if team is not None:
        query = query.where(Job.team == team)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_many(session: AsyncSession, job_ids: Sequence[str]) -> list[Job]:
    query = select(Job).where(Job.id.in_(job_ids)).order_by(Job.id)
    return list((await session.execute(query)).scalars())


async def compare_and_set(
    session: AsyncSession, job_id: str, expected: JobStatus, **values: Any
) -> bool:
    """UPDATE … WHERE status = expected: the write happens only if nobody moved the job."""
    query = (
        update(Job)
        .where(Job.id == job_id, Job.status == expected)
        .values(updated_at=func.now(), **values)
    )
    return bool((await session.execute(query)).rowcount)  # type: ignore[attr-defined]


async def reschedule(
    session: AsyncSession, job_ids: Sequence[str], status: JobStatus, delay: timedelta
) -> None:
    """Next poll for jobs in which nothing changed (still in `status`)."""
    query = (
        update(Job)
        .where(Job.id.in_(job_ids), Job.status == status, Job.wake_at.is_not(None))
        .values(wake_at=func.now() + delay, attempts=0)
    )
    await session.execute(query)


async def relax_durability(session: AsyncSession) -> None:
    """This transaction's commit does not wait for the WAL flush. For poll results only: if the
    server crashes in that instant, the next poll writes them again."""
    await session.execute(text("SET LOCAL synchronous_commit TO OFF"))


async def set_fields(session: AsyncSession, job_id: str, **values: Any) -> None:
    query = update(Job).where(Job.id == job_id).values(updated_at=func.now(), **values)
    await session.execute(query)


async def add_events(session: AsyncSession, job_id: str, events: Sequence[NewEvent]) -> int:
    """Appends events with consecutive per-job sequence numbers; mirrored OpenAI events that
    are already stored are skipped. Returns how many were written."""
    if not events:
        return 0
    bump = (
        update(Job)
        .where(Job.id == job_id)
        .values(event_seq=Job.event_seq + len(events))
        .returning(Job.event_seq)
    )
    last = (await session.execute(bump)).scalar_one()
    rows = [_event_row(job_id, last - len(events) + i + 1, event) for i, event in enumerate(events)]
    statement = insert(JobEvent).values(rows).on_conflict_do_nothing().returning(JobEvent)
    written = list((await session.execute(statement)).scalars())
    await outbox.record_job_events(session, job_id, written)  # webhooks, same transaction
    return len(written)


async def owner_of_remote_job(
    session: AsyncSession, provider: str, provider_job_id: str
) -> str | None:
    """Which of our jobs has claimed the provider's job `provider_job_id`, if any."""
    query = select(Job.id).where(Job.provider == provider, Job.provider_job_id == provider_job_id)
    return (await session.execute(query)).scalar_one_or_none()


async def has_event(session: AsyncSession, job_id: str, event_type: str) -> bool:
    query = select(JobEvent.id).where(JobEvent.job_id == job_id, JobEvent.type == event_type)
    return (await session.execute(query.limit(1))).first() is not None


def _event_row(job_id: str, seq: int, event: NewEvent) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": new_id("evt"),
        "job_id": job_id,
        "seq": seq,
        "source": event.source,
        "type": event.type,
        "level": event.level,
        "message": event.message,
        "data": event.data,
        "provider_event_id": event.provider_event_id,
        # Every row of a multi-row INSERT must name the same columns.
        "created_at": event.created_at if event.created_at is not None else func.now(),
    }
    return row


async def events_page(
    session: AsyncSession, job_id: str, *, after_seq: int, limit: int
) -> list[JobEvent]:
    query = (
        select(JobEvent)
        .where(JobEvent.job_id == job_id, JobEvent.seq > after_seq)
        .order_by(JobEvent.seq)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> list[tuple[str, str, str | None]]:
    """Rows whose wake-up time has passed, pushed forward by one lease so the next scheduler
    tick doesn't enqueue them again while a worker is on them."""
    due = (
        select(Job.id)
        .where(Job.wake_at <= now)
        .order_by(Job.wake_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    query = (
        update(Job)
        .where(Job.id.in_(due))
        .values(wake_at=lease_until)
        .returning(Job.id, Job.status, Job.requested_action)
    )
    return [(row[0], row[1], row[2]) for row in await session.execute(query)]


async def active_uses_of_dataset(
    session: AsyncSession, dataset_id: str, terminal: Sequence[str]
) -> int:
    query = select(func.count()).where(
        (Job.training_dataset_id == dataset_id) | (Job.validation_dataset_id == dataset_id),
        Job.status.not_in(terminal),
    )
    return int((await session.execute(query)).scalar_one())
