"""What a failed provider call does to a job: a permanent error ends it with the provider's own
code and words; a transient one, or a lock held by another worker, reschedules it with backoff."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from service.db.models import Job
from service.jobs import repository
from service.jobs.runtime import Runtime
from service.jobs.transitions import fail_permanently
from service.providers.base import ProviderError
from service.providers.registry import title

log = logging.getLogger(__name__)


async def handle_provider_error(rt: Runtime, job: Job, error: ProviderError) -> None:
    if not error.retryable:
        log.warning(
            "job %s failed permanently at %s: %s (%s)",
            job.id,
            title(job.provider),
            error.code,
            error.message,
        )
        async with rt.sessions.begin() as session:
            await fail_permanently(session, job.id, error, rt.hooks)
        return
    log.info(
        "job %s: transient %s error %s (%s); retrying",
        job.id,
        title(job.provider),
        error.code,
        error.message,
    )
    await retry_later(rt, job, retry_after=error.retry_after, count_attempt=True)


async def retry_later(
    rt: Runtime,
    job: Job,
    *,
    delay: float | None = None,
    retry_after: float | None = None,
    count_attempt: bool = False,
) -> None:
    attempts = job.attempts + 1 if count_attempt else job.attempts
    seconds = delay if delay is not None else rt.timing.retry_delay(attempts, retry_after)
    async with rt.sessions.begin() as session:
        await repository.set_fields(
            session,
            job.id,
            attempts=attempts,
            wake_at=datetime.now(UTC) + timedelta(seconds=seconds),
        )
