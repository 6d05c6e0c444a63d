"""The worker's side of a job: submit it to the provider, follow it, cancel it.

`advance(job_id)` is the one entry point. It takes the job's advisory lock (a second worker
with the same job id returns at once), re-reads the row, and does the one step its status calls
for. Every state change is a compare-and-set in a short transaction, so a step that runs twice,
or after a crash halfway, does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.blobstore import BlobStore
from service.datasets import repository as datasets_repo
from service.db.locks import try_advisory_lock
from service.db.models import Job
from service.jobs import repository, results
from service.jobs.events import status_event
from service.jobs.hooks import NO_HOOKS, JobHooks
from service.jobs.preflight import check_overlap
from service.jobs.remote import apply_remote, fail_permanently
from service.jobs.rules import METADATA_KEY
from service.jobs.states import JobStatus, is_terminal
from service.jobs.timing import Timing
from service.providers.base import FineTuningProvider, JobSpec, ProviderError, RemoteJob

log = logging.getLogger(__name__)


class LockBusyError(Exception):
    """Another worker holds a lock this step needs; try again shortly."""


@dataclass
class Runtime:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    provider: FineTuningProvider
    blobs: BlobStore
    timing: Timing
    hooks: JobHooks = NO_HOOKS


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
            await _handle_provider_error(rt, job, error)
        except LockBusyError:
            await _retry_later(rt, job, delay=rt.timing.retry_base)


async def _step(rt: Runtime, job: Job) -> None:
    status = JobStatus(job.status)
    if status == JobStatus.CANCELLING:
        await _cancel(rt, job)
    elif status in (JobStatus.PENDING, JobStatus.UPLOADING):
        await _submit(rt, job)
    else:
        await _poll(rt, job)


async def _submit(rt: Runtime, job: Job) -> None:
    moved = await _move(rt, job, JobStatus.UPLOADING, "Uploading the dataset to OpenAI")
    if job.status == JobStatus.PENDING and not moved:
        return  # cancelled meanwhile: the next step cancels instead of submitting
    if job.validation_dataset_id is not None:
        await check_overlap(rt.sessions, rt.blobs, job, job.validation_dataset_id)
    training_file = await ensure_uploaded(rt, job.training_dataset_id)
    validation_file = None
    if job.validation_dataset_id is not None:
        validation_file = await ensure_uploaded(rt, job.validation_dataset_id)
    remote = await find_or_create(rt, job, training_file, validation_file)
    async with rt.sessions.begin() as session:
        await repository.set_fields(
            session,
            job.id,
            openai_job_id=remote.id,
            openai_file_id=training_file,
            openai_validation_file_id=validation_file,
        )
        await apply_remote(session, job.id, remote, [], rt.timing, rt.hooks)


async def find_or_create(
    rt: Runtime, job: Job, training_file: str, validation_file: str | None
) -> RemoteJob:
    """OpenAI has no idempotency key: look for our job by metadata before creating it, and
    again after any failure that may have created it anyway."""
    existing = await rt.provider.find_job(METADATA_KEY, job.id)
    if existing is not None:
        return existing
    spec = JobSpec(
        model=job.model,
        training_file=training_file,
        validation_file=validation_file,
        method="sft" if job.method == "sft" else "dpo",
        hyperparameters=job.hyperparameters,
        metadata={**job.job_metadata, METADATA_KEY: job.id},
        suffix=job.suffix,
        seed=job.seed,
    )
    try:
        return await rt.provider.create_job(spec)
    except ProviderError as error:
        if error.ambiguous:
            found = await rt.provider.find_job(METADATA_KEY, job.id)
            if found is not None:
                return found
        raise


async def ensure_uploaded(rt: Runtime, dataset_id: str) -> str:
    """One OpenAI file per dataset, shared by every job that trains on it."""
    async with try_advisory_lock(rt.engine, f"dataset:{dataset_id}") as locked:
        if not locked:
            raise LockBusyError(dataset_id)
        async with rt.sessions() as session:
            dataset = await datasets_repo.get(session, dataset_id)
        if dataset is None:
            raise ProviderError(
                f"dataset {dataset_id} was deleted", code="dataset_deleted", retryable=False
            )
        if dataset.openai_file_id:
            return dataset.openai_file_id
        filename = f"{dataset.id}.jsonl"
        # A worker that died after uploading but before recording the file id left it there.
        file_id = (
            await rt.provider.find_file(filename) if dataset.openai_upload_started_at else None
        )
        if file_id is None:
            async with rt.sessions.begin() as session:
                await datasets_repo.mark_upload_started(session, dataset.id)
            with rt.blobs.open(dataset.blob_key) as stream:
                file_id = await rt.provider.upload_file(filename, stream, dataset.bytes)
        async with rt.sessions.begin() as session:
            await datasets_repo.set_openai_file(session, dataset.id, file_id)
        return file_id


async def _poll(rt: Runtime, job: Job) -> None:
    if job.openai_job_id is None:  # cannot happen past uploading; heal rather than crash
        await _submit(rt, job)
        return
    remote = await _carry_out_request(rt, job, job.openai_job_id)
    events = await rt.provider.list_new_events(job.openai_job_id, job.openai_last_event_id)
    produced = await results.fetch(rt.provider, remote, events)
    async with rt.sessions.begin() as session:
        await apply_remote(session, job.id, remote, events, rt.timing, rt.hooks, produced)
        if job.requested_action is not None:
            await repository.set_fields(session, job.id, requested_action=None)


async def _carry_out_request(rt: Runtime, job: Job, openai_job_id: str) -> RemoteJob:
    """A pause or resume asked through the API, if the job is still where it can happen."""
    if job.requested_action == "pause" and job.status == JobStatus.RUNNING:
        return await _refusable(rt, openai_job_id, rt.provider.pause_job)
    if job.requested_action == "resume" and job.status == JobStatus.PAUSED:
        return await _refusable(rt, openai_job_id, rt.provider.resume_job)
    return await rt.provider.get_job(openai_job_id)


async def _refusable(
    rt: Runtime, openai_job_id: str, action: Callable[[str], Awaitable[RemoteJob]]
) -> RemoteJob:
    """OpenAI refusing a pause, resume or cancel (the job moved on meanwhile) is no reason to
    fail the job: read where it is instead."""
    try:
        return await action(openai_job_id)
    except ProviderError as error:
        if error.retryable:
            raise
        log.info("OpenAI refused %s on %s: %s", action.__name__, openai_job_id, error.message)
        return await rt.provider.get_job(openai_job_id)


async def _cancel(rt: Runtime, job: Job) -> None:
    openai_job_id = job.openai_job_id
    if openai_job_id is None:
        found = await rt.provider.find_job(METADATA_KEY, job.id)
        if found is None:
            await _move(
                rt,
                job,
                JobStatus.CANCELLED,
                "Job cancelled before it reached OpenAI",
                terminal=True,
            )
            return
        openai_job_id = found.id
        async with rt.sessions.begin() as session:
            await repository.set_fields(session, job.id, openai_job_id=openai_job_id)
    remote = await rt.provider.get_job(openai_job_id)
    if not is_terminal_remote(remote):
        remote = await _refusable(rt, openai_job_id, rt.provider.cancel_job)
    events = await rt.provider.list_new_events(openai_job_id, job.openai_last_event_id)
    async with rt.sessions.begin() as session:
        await apply_remote(session, job.id, remote, events, rt.timing, rt.hooks)


def is_terminal_remote(remote: RemoteJob) -> bool:
    return remote.status in {"succeeded", "failed", "cancelled"}


async def _move(
    rt: Runtime, job: Job, target: JobStatus, message: str, *, terminal: bool = False
) -> bool:
    """Compare-and-set from the status we read; False when someone moved the job meanwhile."""
    if job.status == target:
        return False
    now = datetime.now(UTC)
    wake = None if terminal else now + timedelta(seconds=rt.timing.lease)
    async with rt.sessions.begin() as session:
        moved = await repository.compare_and_set(
            session,
            job.id,
            JobStatus(job.status),
            status=target,
            wake_at=wake,
            finished_at=now if terminal else None,
        )
        if moved:
            await repository.add_events(session, job.id, [status_event(target, message)])
            if terminal:
                finished = await repository.get(session, job.id)
                if finished is not None:
                    await rt.hooks.finished(session, finished)
    if moved:
        job.status = target
    return moved


async def _handle_provider_error(rt: Runtime, job: Job, error: ProviderError) -> None:
    if not error.retryable:
        log.warning(
            "job %s failed permanently at OpenAI: %s (%s)", job.id, error.code, error.message
        )
        async with rt.sessions.begin() as session:
            current = await repository.get(session, job.id)
            if current is not None:
                await fail_permanently(session, current, error, rt.hooks)
        return
    log.info("job %s: transient OpenAI error %s (%s); retrying", job.id, error.code, error.message)
    await _retry_later(rt, job, retry_after=error.retry_after, count_attempt=True)


async def _retry_later(
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
