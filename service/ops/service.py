"""Ops views for dashboards: the shape of /v1/stats and the gauges /metrics reads."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import JobEvent
from service.jobs import repository as jobs_repository
from service.jobs import service as jobs
from service.jobs.states import JobStatus, is_terminal
from service.ops import repository
from service.ops.repository import DeliveryCounts, Durations
from service.queue import WakeUps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobTotals:
    total: int
    by_status: dict[str, int]
    by_model: dict[str, int]
    by_team: dict[str, int]
    by_provider: dict[str, int]


@dataclass(frozen=True)
class QueueStats:
    name: str
    depth: int | None  # None: Redis did not answer


@dataclass(frozen=True)
class WebhookStats:
    deliveries_by_status: dict[str, int]
    # delivered / (delivered + failed): deliveries still being retried are not counted yet.
    success_rate: float | None
    attempts: int
    attempts_succeeded: int
    attempt_success_rate: float | None


@dataclass(frozen=True)
class Stats:
    team: str | None  # None: every team (admin keys)
    generated_at: datetime
    jobs: JobTotals
    queue: QueueStats
    oldest_pending_age_seconds: float | None
    durations: dict[str, Durations]
    failures_by_code: dict[str, int]
    webhooks: WebhookStats


@dataclass(frozen=True)
class MetricsSnapshot:
    jobs_by_status: dict[tuple[str, str], int]  # (provider, status) -> jobs
    queue_depth: int | None
    oldest_pending_seconds: float | None


async def stats(
    session: AsyncSession, team: str | None, wakeups: WakeUps, queue_name: str
) -> Stats:
    """Everything a dashboard shows, for one team or (None) for all of them."""
    now = datetime.now(UTC)
    counts = await repository.job_counts(session, team)
    return Stats(
        team=team,
        generated_at=now,
        jobs=JobTotals(
            counts.total, counts.by_status, counts.by_model, counts.by_team, counts.by_provider
        ),
        queue=QueueStats(queue_name, await queue_depth(wakeups)),
        oldest_pending_age_seconds=_age(counts.oldest_pending_at, now),
        durations=await repository.durations(session, team),
        failures_by_code=await repository.failures_by_code(session, team),
        webhooks=webhook_stats(await repository.delivery_counts(session, team)),
    )


def webhook_stats(counts: DeliveryCounts) -> WebhookStats:
    delivered = counts.by_status.get("delivered", 0)
    finished = delivered + counts.by_status.get("failed", 0)
    return WebhookStats(
        deliveries_by_status=counts.by_status,
        success_rate=_ratio(delivered, finished),
        attempts=counts.attempts,
        attempts_succeeded=counts.attempts_ok,
        attempt_success_rate=_ratio(counts.attempts_ok, counts.attempts),
    )


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _age(since: datetime | None, now: datetime) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds())


async def queue_depth(wakeups: WakeUps) -> int | None:
    try:
        return await asyncio.to_thread(wakeups.depth)
    except Exception:  # Redis down: the dashboard shows "unknown", not an error page
        log.warning("queue depth unavailable", exc_info=True)
        return None


async def metrics_snapshot(session: AsyncSession, wakeups: WakeUps) -> MetricsSnapshot:
    by_status, oldest = await repository.jobs_by_status(session)
    return MetricsSnapshot(
        jobs_by_status=by_status,
        queue_depth=await queue_depth(wakeups),
        oldest_pending_seconds=_age(oldest, datetime.now(UTC)),
    )


async def job_events_after(
    session: AsyncSession, team: str | None, job_id: str, *, after_seq: int, limit: int
) -> tuple[bool, list[JobEvent]]:
    """Whether the job had finished, and its events after `after_seq`. The status is read first:
    a job already finished then has all its events written, so none can come after these."""
    job = await jobs.get(session, team, job_id)
    finished = is_terminal(JobStatus(job.status))
    return finished, await jobs_repository.events_page(
        session, job_id, after_seq=after_seq, limit=limit
    )
