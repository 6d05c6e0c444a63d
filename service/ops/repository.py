"""All SQL behind the ops views: read-only aggregates over jobs and webhook deliveries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, extract, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Job
from service.db.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.jobs.states import JobStatus

# grouping(status, model, team, provider) is a bit mask of the columns NOT grouped by in a row.
_BY_STATUS, _BY_MODEL, _BY_TEAM, _BY_PROVIDER, _TOTAL = 0b0111, 0b1011, 0b1101, 0b1110, 0b1111


@dataclass
class JobCounts:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_model: dict[str, int] = field(default_factory=dict)
    by_team: dict[str, int] = field(default_factory=dict)
    by_provider: dict[str, int] = field(default_factory=dict)
    oldest_pending_at: datetime | None = None


@dataclass(frozen=True)
class Durations:
    count: int
    p50_seconds: float | None
    p95_seconds: float | None


@dataclass(frozen=True)
class DeliveryCounts:
    by_status: dict[str, int]
    attempts: int
    attempts_ok: int


Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])


def _scoped(query: Query, team: str | None) -> Query:
    return query if team is None else query.where(Job.team == team)


async def job_counts(session: AsyncSession, team: str | None) -> JobCounts:
    """By status, model, team and provider, the total and the oldest pending job: one pass
    over jobs."""
    query = select(
        func.grouping(Job.status, Job.model, Job.team, Job.provider),
        Job.status,
        Job.model,
        Job.team,
        Job.provider,
        func.count(),
        func.min(Job.created_at).filter(Job.status == JobStatus.PENDING.value),
    ).group_by(func.grouping_sets(Job.status, Job.model, Job.team, Job.provider, tuple_()))
    counts = JobCounts()
    for grouping, status, model, job_team, provider, count, oldest in await session.execute(
        _scoped(query, team)
    ):
        if grouping == _BY_STATUS:
            counts.by_status[status] = count
        elif grouping == _BY_MODEL:
            counts.by_model[model] = count
        elif grouping == _BY_TEAM:
            counts.by_team[job_team] = count
        elif grouping == _BY_PROVIDER:
            counts.by_provider[provider] = count
        elif grouping == _TOTAL:
            counts.total, counts.oldest_pending_at = count, oldest
    return counts


async def jobs_by_status(
    session: AsyncSession,
) -> tuple[dict[tuple[str, str], int], datetime | None]:
    """Every team's jobs by (provider, status), and the oldest pending job's creation time (for
    /metrics)."""
    query = select(
        Job.provider,
        Job.status,
        func.count(),
        func.min(Job.created_at).filter(Job.status == JobStatus.PENDING.value),
    ).group_by(Job.provider, Job.status)
    rows = (await session.execute(query)).all()
    oldest = min((row[3] for row in rows if row[3] is not None), default=None)
    return {(row[0], row[1]): row[2] for row in rows}, oldest


async def durations(session: AsyncSession, team: str | None) -> dict[str, Durations]:
    """created_at → finished_at of finished jobs, per final status and overall ("all")."""
    seconds = extract("epoch", Job.finished_at - Job.created_at)
    query = select(
        func.grouping(Job.status),
        Job.status,
        func.count(),
        func.percentile_cont(0.5).within_group(seconds),
        func.percentile_cont(0.95).within_group(seconds),
    ).where(Job.finished_at.is_not(None))
    query = _scoped(query.group_by(func.grouping_sets(Job.status, tuple_())), team)
    return {
        ("all" if grouping else status): Durations(count, _float_or_none(p50), _float_or_none(p95))
        for grouping, status, count, p50, p95 in await session.execute(query)
    }


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


async def failures_by_code(session: AsyncSession, team: str | None) -> dict[str, int]:
    code = func.coalesce(Job.error_code, "unknown")
    query = select(code, func.count()).where(Job.status == JobStatus.FAILED.value).group_by(code)
    return {row[0]: row[1] for row in await session.execute(_scoped(query, team))}


async def delivery_counts(session: AsyncSession, team: str | None) -> DeliveryCounts:
    deliveries = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    ok = WebhookAttempt.status_code.between(200, 299)
    attempts = select(func.count(), func.count().filter(ok)).join(
        WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id
    )
    if team is not None:
        owned = WebhookDelivery.endpoint_id.in_(
            select(WebhookEndpoint.id).where(WebhookEndpoint.team == team)
        )
        deliveries, attempts = deliveries.where(owned), attempts.where(owned)
    by_status = {row[0]: row[1] for row in await session.execute(deliveries)}
    total, succeeded = (await session.execute(attempts)).one()
    return DeliveryCounts(by_status, total, succeeded)
