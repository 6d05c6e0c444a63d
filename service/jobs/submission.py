"""The submit step: check the datasets, upload them once, create the provider's job once.

Nothing here is repeated at the provider: a dataset is uploaded once (its file id is stored on
the dataset and shared by its jobs), and a job is created only after looking for one already
made for it, and looked for again after any failure that may have created it anyway.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from service.blobstore import BlobStore
from service.datasets import repository as datasets_repo
from service.datasets.validator import Overlap, find_overlap
from service.db.locks import try_advisory_lock
from service.db.models import Job
from service.jobs import repository
from service.jobs.events import OVERLAP_EVENT, file_gone_event, overlap_event
from service.jobs.runtime import LockBusyError, Runtime
from service.jobs.states import JobStatus
from service.jobs.transitions import apply_report, move
from service.providers.base import JobSpec, ProviderError, RemoteJob
from service.providers.registry import title

log = logging.getLogger(__name__)


async def submit(rt: Runtime, job: Job) -> None:
    if job.status == JobStatus.PENDING:
        async with rt.sessions.begin() as session:
            moved = await move(
                session,
                job.id,
                JobStatus.PENDING,
                JobStatus.UPLOADING,
                hooks=rt.hooks,
                message=f"Uploading the dataset to {title(job.provider)}",
            )
        if not moved:
            return  # cancelled meanwhile: the next step cancels instead of submitting
        job.status = JobStatus.UPLOADING
    if job.validation_dataset_id is not None:
        await check_overlap(rt, job, job.validation_dataset_id)
    try:
        remote, files = await _upload_and_create(rt, job)
    except ProviderError as error:
        gone = _file_gone(error)
        if gone is None:
            raise
        # The provider no longer has a file we recorded (deleted, expired, a fresh emulator):
        # upload that dataset again, once, instead of failing the job.
        await _forget_file(rt, job, gone)
        remote, files = await _upload_and_create(rt, job)
    async with rt.sessions.begin() as session:
        await repository.set_fields(session, job.id, provider_job_id=remote.id)
        await apply_report(session, job.id, remote, [], rt.timing, rt.hooks)
    log.info("job %s is %s at %s (files %s)", job.id, remote.id, job.provider, files)


async def _upload_and_create(rt: Runtime, job: Job) -> tuple[RemoteJob, tuple[str, str | None]]:
    training_file = await ensure_uploaded(rt, job.provider, job.training_dataset_id)
    validation_file = None
    if job.validation_dataset_id is not None:
        validation_file = await ensure_uploaded(rt, job.provider, job.validation_dataset_id)
    # Recorded before the create: a job found again after a crash is matched on its file.
    async with rt.sessions.begin() as session:
        await repository.set_fields(
            session,
            job.id,
            provider_file_id=training_file,
            provider_validation_file_id=validation_file,
        )
    spec = job_spec(job, training_file, validation_file)
    return await find_or_create(rt, job, spec), (training_file, validation_file)


def job_spec(job: Job, training_file: str, validation_file: str | None) -> JobSpec:
    return JobSpec(
        our_id=job.id,
        model=job.model,
        training_file=training_file,
        validation_file=validation_file,
        method="sft" if job.method == "sft" else "dpo",
        hyperparameters=job.hyperparameters,
        metadata=dict(job.job_metadata),
        suffix=job.suffix,
        seed=job.seed,
    )


async def find_or_create(rt: Runtime, job: Job, spec: JobSpec) -> RemoteJob:
    """No provider takes an idempotency key: look for our job before creating it when an
    earlier attempt may have sent the create, and again after any failure that may have
    created it anyway."""
    provider = rt.provider(job.provider)
    if await _create_may_have_been_sent(rt, job.id):
        existing = await find_ours(rt, job, spec)
        if existing is not None:
            return existing
    await preflight(rt, job, spec)
    async with rt.sessions.begin() as session:
        await repository.set_fields(session, job.id, create_started_at=datetime.now(UTC))
    try:
        return await provider.create_job(spec)
    except ProviderError as error:
        if error.ambiguous:
            found = await find_ours(rt, job, spec)
            if found is not None:
                return found
        raise


async def _create_may_have_been_sent(rt: Runtime, job_id: str) -> bool:
    """Whether an earlier attempt got as far as sending the create (and may have died before
    recording its answer): only then can the provider hold a job of ours we don't know of, and
    only then is it worth listing the provider's jobs (all of them, at Together)."""
    async with rt.sessions() as session:
        job = await repository.get(session, job_id)
    return job is not None and job.create_started_at is not None


async def preflight(rt: Runtime, job: Job, spec: JobSpec) -> None:
    """Right before the create: the provider checks the job against the model's limits as it
    states them now (a permanent error fails the job) and estimates its price, which is kept on
    the job; a price the provider would not let proceed fails the job before it is created."""
    estimate = await rt.provider(job.provider).preflight(spec)
    if estimate is None:
        return
    async with rt.sessions.begin() as session:
        await repository.set_fields(session, job.id, price_estimate=estimate.to_json())
    refusal = estimate.refusal()
    if refusal is not None:
        raise ProviderError(refusal, code="price_not_allowed", retryable=False)


async def find_ours(rt: Runtime, job: Job, spec: JobSpec) -> RemoteJob | None:
    """The oldest remote job the provider may have made for `spec` that no other job of ours
    has claimed (a provider that matches on more than our id may offer another's)."""
    for candidate in await rt.provider(job.provider).find_jobs(spec):
        async with rt.sessions() as session:
            owner = await repository.owner_of_remote_job(session, job.provider, candidate.id)
        if owner in (None, job.id):
            return candidate
    return None


async def ensure_uploaded(rt: Runtime, provider: str, dataset_id: str) -> str:
    """One file per dataset at each provider, shared by every job that trains on it there."""
    async with try_advisory_lock(rt.engine, f"dataset:{dataset_id}:{provider}") as locked:
        if not locked:
            raise LockBusyError(dataset_id)
        async with rt.sessions() as session:
            dataset = await datasets_repo.get(session, dataset_id)
            recorded = await datasets_repo.remote_file(session, dataset_id, provider)
        if dataset is None:
            raise ProviderError(
                f"dataset {dataset_id} was deleted", code="dataset_deleted", retryable=False
            )
        if recorded is not None and recorded.file_id:
            return recorded.file_id
        client = rt.provider(provider)
        filename = f"{dataset.id}.jsonl"
        # A worker that died after uploading but before recording the file id left it there.
        started = recorded is not None and recorded.upload_started_at is not None
        file_id = await client.find_file(filename) if started else None
        if file_id is None:
            async with rt.sessions.begin() as session:
                await datasets_repo.mark_upload_started(session, dataset.id, provider)
            with rt.blobs.open(dataset.blob_key) as stream:
                file_id = await client.upload_file(filename, stream, dataset.bytes)
        async with rt.sessions.begin() as session:
            await datasets_repo.set_remote_file(session, dataset.id, provider, file_id)
            recorded = await datasets_repo.remote_file(session, dataset.id, provider)
        return recorded.file_id if recorded is not None and recorded.file_id else file_id


def _file_gone(error: ProviderError) -> str | None:
    """Which file parameter the provider refused as unknown, if that is what it said."""
    if error.retryable or error.param not in ("training_file", "validation_file"):
        return None
    return error.param


async def _forget_file(rt: Runtime, job: Job, param: str) -> None:
    dataset_id = job.training_dataset_id if param == "training_file" else job.validation_dataset_id
    if dataset_id is None:
        return
    async with rt.sessions.begin() as session:
        recorded = await datasets_repo.remote_file(session, dataset_id, job.provider)
        lost = recorded.file_id if recorded is not None else None
        if lost:  # (read before the update, which also refreshes `recorded` in this session)
            await datasets_repo.forget_remote_file(session, dataset_id, job.provider, lost)
            await repository.add_events(session, job.id, [file_gone_event(param, lost)])
    log.warning("job %s: %s no longer has %s; uploading it again", job.id, job.provider, param)


async def check_overlap(rt: Runtime, job: Job, validation_id: str) -> None:
    """Once per job, before anything is sent: a warning event when validation prompts are
    also in the training data (the job still runs; see `datasets.overlap`)."""
    async with rt.sessions() as session:
        if await repository.has_event(session, job.id, OVERLAP_EVENT):
            return
        training = await datasets_repo.get(session, job.training_dataset_id)
        validation = await datasets_repo.get(session, validation_id)
    if training is None or validation is None:
        return  # the upload step fails the job with the reason
    try:
        overlap = await asyncio.to_thread(
            _compare, rt.blobs, training.blob_key, validation.blob_key, training.kind
        )
    except OSError as error:  # advisory: the upload step reports a missing file as it should
        log.warning("job %s: the overlap check could not read a dataset: %s", job.id, error)
        return
    async with rt.sessions.begin() as session:
        await repository.add_events(session, job.id, [overlap_event(overlap)])
    log.info("job %s: %s", job.id, overlap.message())


def _compare(blobs: BlobStore, training_key: str, validation_key: str, kind: str) -> Overlap:
    with blobs.open(training_key) as training, blobs.open(validation_key) as validation:
        return find_overlap(training, validation, "sft" if kind == "sft" else "dpo")
