"""The worker's side of a job: one step at a time, as its row says.

`advance(job_id)` is the one entry point. It takes the job's advisory lock (a second worker
with the same job id returns at once), re-reads the row, and does the one step its status calls
for: submit it (`submission`), follow it (`polling`), carry out a pause or resume asked through
the API, or cancel it. Every state change goes through `transitions.move` in a short
transaction, so a step that runs twice, or after a crash halfway, does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from service.db.locks import try_advisory_lock
from service.db.models import Job
from service.jobs import repository
from service.jobs.polling import poll_one
from service.jobs.runtime import LockBusyError, Runtime
from service.jobs.setbacks import handle_provider_error, retry_later
from service.jobs.states import TERMINAL, JobStatus, is_terminal
from service.jobs.submission import find_ours, job_spec, submit
from service.jobs.transitions import apply_report, move
from service.providers.base import ProviderError, RemoteJob
from service.providers.registry import title

log = logging.getLogger(__name__)


async def advance(rt: Runtime, job_id: str) -> None:
    async with try_advisory_lock(rt.engine, f"job:{job_id}") as locked:
        if not locked:
            log.info("job %s is being advanced by another worker", job_id)
            return
        async with rt.sessions() as session:
            job = await repository.get(session, job_id)
        if job is None or is_terminal(JobStatus(job.status)):
            return
        try:
            await _step(rt, job)
        except ProviderError as error:
            await handle_provider_error(rt, job, error)
        except LockBusyError:
            await retry_later(rt, job, delay=rt.timing.retry_base)


async def _step(rt: Runtime, job: Job) -> None:
    status = JobStatus(job.status)
    if status == JobStatus.CANCELLING:
        await _cancel(rt, job)
    elif status in (JobStatus.PENDING, JobStatus.UPLOADING) or job.provider_job_id is None:
        # (no remote id past uploading cannot happen; submitting again heals it)
        await submit(rt, job)
    else:
        await poll_one(rt, job, await _carry_out_request(rt, job, job.provider_job_id))


async def _carry_out_request(rt: Runtime, job: Job, provider_job_id: str) -> RemoteJob:
    """A pause or resume asked through the API, if the job is still where it can happen."""
    provider = rt.provider(job.provider)
    if job.requested_action == "pause" and job.status == JobStatus.RUNNING:
        return await _refusable(rt, job, provider_job_id, provider.pause_job)
    if job.requested_action == "resume" and job.status == JobStatus.PAUSED:
        return await _refusable(rt, job, provider_job_id, provider.resume_job)
    return await provider.get_job(provider_job_id)


async def _refusable(
    rt: Runtime, job: Job, provider_job_id: str, action: Callable[[str], Awaitable[RemoteJob]]
) -> RemoteJob:
    """The provider refusing a pause, resume or cancel (the job moved on meanwhile) is no
    reason to fail the job: read where it is instead."""
    try:
        return await action(provider_job_id)
    except ProviderError as error:
        if error.retryable:
            raise
        log.info("%s refused %s on %s: %s", job.provider, action.__name__, provider_job_id, error)
        return await rt.provider(job.provider).get_job(provider_job_id)


async def _cancel(rt: Runtime, job: Job) -> None:
    provider = rt.provider(job.provider)
    provider_job_id = job.provider_job_id
    if provider_job_id is None:
        found = await _created_before_a_crash(rt, job)
        if found is None:
            async with rt.sessions.begin() as session:
                await move(
                    session,
                    job.id,
                    JobStatus.CANCELLING,
                    JobStatus.CANCELLED,
                    hooks=rt.hooks,
                    message=f"Job cancelled before it reached {title(job.provider)}",
                )
            return
        provider_job_id = found.id
        async with rt.sessions.begin() as session:
            await repository.set_fields(session, job.id, provider_job_id=provider_job_id)
    remote = await provider.get_job(provider_job_id)
    if remote.status not in TERMINAL:
        remote = await _refusable(rt, job, provider_job_id, provider.cancel_job)
    events = await provider.list_new_events(provider_job_id, job.provider_last_event_id)
    async with rt.sessions.begin() as session:
        await apply_report(session, job.id, remote, events, rt.timing, rt.hooks)


async def _created_before_a_crash(rt: Runtime, job: Job) -> RemoteJob | None:
    """A job with no remote id may still exist at the provider (a worker died between the
    create and its commit); without a recorded file, no create was tried."""
    if job.provider_file_id is None:
        return None
    spec = job_spec(job, job.provider_file_id, job.provider_validation_file_id)
    return await find_ours(rt, job, spec)
