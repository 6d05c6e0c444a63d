"""The submit step: check the datasets, upload them once, create the provider's job once.

Nothing here is repeated at the provider: a dataset is uploaded once (its file id is stored on
the dataset and shared by its jobs), and a job is created only after looking for one already
made for it, and looked for again after any failure that may have created it anyway.
"""

from __future__ import annotations

import asyncio
import logging

from service.blobstore import BlobStore
from service.datasets import repository as datasets_repo
from service.datasets.validator import Overlap, find_overlap
from service.db.locks import try_advisory_lock
from service.db.models import Job
from service.jobs import repository
from service.jobs.events import OVERLAP_EVENT, overlap_event
from service.jobs.rules import METADATA_KEY
from service.jobs.runtime import LockBusyError, Runtime
from service.jobs.states import JobStatus
from service.jobs.transitions import apply_report, move
from service.providers.base import JobSpec, ProviderError, RemoteJob

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
                message="Uploading the dataset to OpenAI",
            )
        if not moved:
            return  # cancelled meanwhile: the next step cancels instead of submitting
        job.status = JobStatus.UPLOADING
    if job.validation_dataset_id is not None:
        await check_overlap(rt, job, job.validation_dataset_id)
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
        await apply_report(session, job.id, remote, [], rt.timing, rt.hooks)


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
