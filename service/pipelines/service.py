"""Pipelines called from the API: create (build the SFT dataset, start SFT), read, list, cancel.
What happens when a stage's job ends is in `hooks`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.blobstore import BlobStore, discard
from service.datasets import acceptance
from service.datasets import service as datasets
from service.datasets.service import UploadOptions
from service.datasets.validation import Validation
from service.db.models import Dataset
from service.db.pipeline_models import Pipeline
from service.errors import FieldError, ServiceError, conflict, invalid, not_found
from service.ids import new_id
from service.jobs import repository as jobs_repo
from service.jobs import service as jobs
from service.jobs.hooks import JobHooks
from service.jobs.service import JobRequest
from service.jobs.states import JobStatus
from service.jobs.states import is_terminal as job_is_terminal
from service.pipelines import repository, rules, sft_dataset
from service.pipelines.hooks import stage_finished
from service.pipelines.states import TERMINAL, PipelineStatus, is_terminal
from service.providers.registry import Destination

# Without a seed the selection still has to be reproducible: the same request then picks the
# same examples, and so reuses the same SFT dataset.
DEFAULT_SELECTION_SEED = 0


@dataclass(frozen=True)
class PipelineRequest:
    dataset_id: str
    model: str
    provider: str | None = None
    sft_fraction: float = 1.0
    sft_hyperparameters: dict[str, Any] = field(default_factory=dict)
    dpo_hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


async def create(
    session: AsyncSession,
    blobs: BlobStore,
    team: str,
    request: PipelineRequest,
    *,
    lease: timedelta,
    destination: Destination,
    validation: Validation | None = None,
) -> Pipeline:
    """Builds and stores the SFT dataset (validated in `validation`'s shared pool when given),
    then writes the SFT job and the pipeline, both at the `destination` provider. The caller
    commits, then enqueues the SFT job; the DPO job is created when SFT succeeds, at the same
    provider."""
    _check(request, destination)
    source = await _dpo_dataset(session, team, request.dataset_id, destination.info.name)
    too_few = rules.too_few(request.sft_fraction, source.examples, source.id)
    if too_few is not None:
        raise invalid(too_few.message, [too_few])
    sft = await _store_sft_dataset(session, blobs, team, source, request, validation)
    pipeline_id = new_id("pl")
    job = await jobs.create(
        session,
        team,
        _sft_request(request, sft, pipeline_id),
        lease=lease,
        destination=Destination(destination.info, today=destination.today),
    )
    pipeline = Pipeline(
        id=pipeline_id,
        team=team,
        provider=destination.info.name,
        status=PipelineStatus.RUNNING_SFT,
        model=request.model,
        dataset_id=source.id,
        sft_dataset_id=sft.id,
        sft_fraction=request.sft_fraction,
        sft_hyperparameters=request.sft_hyperparameters,
        dpo_hyperparameters=request.dpo_hyperparameters,
        suffix=request.suffix,
        seed=request.seed,
        pipeline_metadata=request.metadata,
        sft_job_id=job.id,
    )
    await repository.add(session, pipeline)
    return pipeline


def _check(request: PipelineRequest, destination: Destination) -> None:
    errors = rules.check_request(
        destination=destination,
        model=request.model,
        fraction=request.sft_fraction,
        sft_hyperparameters=request.sft_hyperparameters,
        dpo_hyperparameters=request.dpo_hyperparameters,
        suffix=request.suffix,
        seed=request.seed,
        metadata=request.metadata,
    )
    if errors:
        raise invalid("the pipeline request is invalid", errors)


async def _dpo_dataset(session: AsyncSession, team: str, dataset_id: str, provider: str) -> Dataset:
    """The DPO dataset, which `provider` must accept: both stages go there, and the second
    one's job is created only after the first has been paid for."""
    try:
        dataset = await datasets.get(session, team, dataset_id)
    except ServiceError as missing:
        error = FieldError("dataset_not_found", missing.detail, path="/dataset_id")
        raise invalid(missing.detail, [error]) from missing
    if dataset.kind != "dpo":
        message = f"dataset {dataset_id} is a {dataset.kind} dataset; a pipeline starts from dpo"
        raise invalid(message, [FieldError("dataset_kind_mismatch", message, path="/dataset_id")])
    refused = acceptance.refusal(dataset.id, dataset.report, provider, "/dataset_id")
    if refused:
        raise invalid(acceptance.summary(dataset.id, dataset.report, provider), refused)
    return dataset


async def _store_sft_dataset(
    session: AsyncSession,
    blobs: BlobStore,
    team: str,
    source: Dataset,
    request: PipelineRequest,
    validation: Validation | None,
) -> Dataset:
    """Stored like an upload: the SFT rules validate it, and the same bytes again (the same
    dataset, fraction and seed) reuse the dataset already stored."""
    seed = DEFAULT_SELECTION_SEED if request.seed is None else request.seed
    size = rules.selection_size(request.sft_fraction, source.examples)
    built = blobs.temp_path(".jsonl")
    try:
        # Reading and writing the files is blocking work: keep it off the event loop.
        await asyncio.to_thread(_build, blobs, source.blob_key, built, size, seed)
        name = f"SFT from {source.id}: {size} preferred outputs (seed {seed})"
        options = UploadOptions(name=name, kind="sft", format="openai")
        stored = await datasets.store_upload(session, blobs, team, built, options, validation)
    except ServiceError as refused:
        # The validator's report, said of the file we built rather than of an upload.
        refused.detail = f"the SFT dataset built from {source.id} is invalid: {refused.detail}"
        raise
    finally:
        discard(built)
    return stored.dataset


def _build(blobs: BlobStore, source_key: str, built: Path, size: int, seed: int) -> int:
    with blobs.open(source_key) as source, built.open("wb") as sink:
        return sft_dataset.build(source, sink, size=size, seed=seed)


def _sft_request(request: PipelineRequest, sft: Dataset, pipeline_id: str) -> JobRequest:
    return JobRequest(
        training_dataset_id=sft.id,
        model=request.model,
        provider=request.provider,
        method="sft",
        hyperparameters=request.sft_hyperparameters,
        suffix=request.suffix,
        seed=request.seed,
        metadata=request.metadata,
        pipeline_id=pipeline_id,
    )


async def get(session: AsyncSession, team: str | None, pipeline_id: str) -> Pipeline:
    pipeline = await repository.get(session, pipeline_id, team=team)
    if pipeline is None:
        raise not_found("pipeline", pipeline_id)
    return pipeline


async def list_page(
    session: AsyncSession,
    team: str | None,
    *,
    statuses: list[str],
    cursor: str | None,
    limit: int,
) -> list[Pipeline]:
    return await repository.list_page(
        session, team, statuses=statuses, before_id=cursor, limit=limit
    )


def stage_job_id(pipeline: Pipeline) -> str:
    """The job of the stage the pipeline is at (the DPO job once it exists)."""
    return pipeline.dpo_job_id or pipeline.sft_job_id


async def request_cancel(
    session: AsyncSession, team: str | None, pipeline_id: str, hooks: JobHooks
) -> Pipeline:
    """Marks the pipeline so its next stage never starts, and cancels the running stage's job;
    the pipeline is `cancelled` once that job is. Asking again is a no-op; 409 once finished."""
    seen = _unfinished(await get(session, team, pipeline_id))
    # The stage job's lock first, then the pipeline's: the finishing hook takes them in that
    # order, so the two never deadlock.
    await jobs_repo.get(session, stage_job_id(seen), for_update=True)
    pipeline = await repository.get(session, pipeline_id, for_update=True)
    assert pipeline is not None  # pipelines are never deleted
    _unfinished(pipeline)
    if pipeline.cancel_requested_at is None:
        await repository.compare_and_set(
            session, pipeline.id, pipeline.status, cancel_requested_at=datetime.now(UTC)
        )
        await session.refresh(pipeline)
    job = await jobs_repo.get(session, stage_job_id(pipeline), for_update=True)
    assert job is not None
    if not job_is_terminal(JobStatus(job.status)):
        await jobs.request_cancel(session, None, job.id, hooks)
    else:
        # Only a job finished without the hook (a worker without it) gets here: settle now.
        await stage_finished(session, pipeline, job)
    return pipeline


def _unfinished(pipeline: Pipeline) -> Pipeline:
    if is_terminal(PipelineStatus(pipeline.status)):
        raise conflict(f"pipeline {pipeline.id} is already {pipeline.status}")
    return pipeline


async def delete_dataset(session: AsyncSession, team: str | None, dataset_id: str) -> Dataset:
    """Deleting a dataset is refused (409) while an unfinished pipeline still needs it, as it is
    while an unfinished job does."""
    await datasets.get(session, team, dataset_id)  # 404 before anything is said about its uses
    waiting = await repository.running_uses_of_dataset(
        session, dataset_id, [status.value for status in TERMINAL]
    )
    if waiting:
        raise conflict(f"dataset {dataset_id} is needed by {waiting} unfinished pipeline(s)")
    return await jobs.delete_dataset(session, team, dataset_id)
