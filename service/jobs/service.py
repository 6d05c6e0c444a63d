"""Job operations called from the API: create, read, list, cancel, pause and resume, what a job
produced, and the provider's webhooks that say a job changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.datasets import acceptance
from service.datasets import service as datasets
from service.db.lifecycle_models import JobCheckpoint, JobMetric
from service.db.models import Dataset, Job, JobEvent
from service.db.reader import Reader, Row
from service.errors import FieldError, ServiceError, conflict, invalid, not_found
from service.ids import new_id
from service.jobs import (
    provider_models,
    read_repository,
    repository,
    results_repository,
    rules,
    transitions,
)
from service.jobs.events import status_event
from service.jobs.hooks import JobHooks
from service.jobs.read_repository import JobFilters
from service.jobs.repository import NewEvent
from service.jobs.states import TERMINAL, JobStatus, is_terminal
from service.providers.base import WebhookNotice
from service.providers.registry import PROVIDERS, Destination, Method


@dataclass(frozen=True)
class JobRequest:
    training_dataset_id: str
    model: str
    provider: str | None = None  # None: the deployment's default (`Catalogue.default`)
    method: str = "dpo"
    validation_dataset_id: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    suffix: str | None = None
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    pipeline_id: str | None = None


async def create(
    session: AsyncSession,
    team: str,
    request: JobRequest,
    *,
    lease: timedelta,
    destination: Destination,
) -> Job:
    """Checks everything (the provider's own rules among them: `destination`), then writes the
    job and its first event. The caller commits, then enqueues; a lost enqueue is picked up by
    the scheduler when `wake_at` passes."""
    method: Method = "sft" if request.method == "sft" else "dpo"
    listing = await provider_models.listing_for(session, destination)
    destination = provider_models.with_listing(destination, listing)
    has_validation = request.validation_dataset_id is not None
    errors = destination.check(
        method, request.model, request.hyperparameters, has_validation=has_validation
    )
    errors += rules.check_request(
        suffix=request.suffix,
        seed=request.seed,
        metadata=request.metadata,
        suffix_limit=destination.info.suffix_limit,
    )
    if errors:
        raise invalid("the job request is invalid", errors)
    provider = destination.info.name
    datasets = {
        "/training_dataset_id": await _dataset_for(
            session,
            team,
            request.training_dataset_id,
            request.method,
            provider,
            "/training_dataset_id",
        )
    }
    if request.validation_dataset_id is not None:
        datasets["/validation_dataset_id"] = await _dataset_for(
            session,
            team,
            request.validation_dataset_id,
            request.method,
            provider,
            "/validation_dataset_id",
        )
    errors = provider_models.check(
        listing, method, request.model, request.hyperparameters, datasets
    )
    if errors:
        raise invalid("the job request is beyond the model's limits", errors)
    job = Job(
        id=new_id("job"),
        team=team,
        status=JobStatus.PENDING,
        provider=destination.info.name,
        method=request.method,
        model=request.model,
        training_dataset_id=request.training_dataset_id,
        validation_dataset_id=request.validation_dataset_id,
        hyperparameters=request.hyperparameters,
        suffix=request.suffix,
        seed=request.seed,
        job_metadata=request.metadata,
        pipeline_id=request.pipeline_id,
        wake_at=datetime.now(UTC) + lease,
        attempts=0,
        event_seq=0,
    )
    await repository.add(session, job)
    await repository.add_events(session, job.id, [status_event(JobStatus.PENDING, "Job accepted")])
    return job


async def _dataset_for(
    session: AsyncSession, team: str, dataset_id: str, method: str, provider: str, path: str
) -> Dataset:
    """The dataset, when it exists, is of the job's kind and `provider` accepts it (422
    naming `path` otherwise: refused before anything is uploaded)."""
    try:
        dataset = await datasets.get(session, team, dataset_id)
    except ServiceError as missing:
        raise invalid(
            missing.detail, [FieldError("dataset_not_found", missing.detail, path=path)]
        ) from missing
    if dataset.kind != method:
        message = f"dataset {dataset_id} is a {dataset.kind} dataset; a {method} job needs {method}"
        raise invalid(message, [FieldError("dataset_kind_mismatch", message, path=path)])
    refused = acceptance.refusal(dataset.id, dataset.report, provider, path)
    if refused:
        raise invalid(acceptance.summary(dataset.id, dataset.report, provider), refused)
    return dataset


async def get(session: AsyncSession, team: str | None, job_id: str) -> Job:
    job = await repository.get(session, job_id, team=team)
    if job is None:
        raise not_found("job", job_id)
    return job


async def read(reader: Reader, team: str | None, job_id: str) -> Row:
    """`get` on the read path: the row by column name, for presenting, not for changing."""
    row = await read_repository.get(reader, job_id, team=team)
    if row is None:
        raise not_found("job", job_id)
    return row


async def list_page(
    reader: Reader, filters: JobFilters, *, cursor: str | None, limit: int
) -> list[Row]:
    return await read_repository.list_page(reader, filters, before_id=cursor, limit=limit)


async def events_page(
    session: AsyncSession, team: str | None, job_id: str, *, after_seq: int, limit: int
) -> list[JobEvent]:
    await get(session, team, job_id)
    return await repository.events_page(session, job_id, after_seq=after_seq, limit=limit)


async def request_cancel(
    session: AsyncSession, team: str | None, job_id: str, hooks: JobHooks
) -> Job:
    """Moves the job to `cancelling`; a worker tells OpenAI and waits for its confirmation.
    Asking again is a no-op; a finished job can't be cancelled (409)."""
    job = await repository.get(session, job_id, team=team, for_update=True)
    if job is None:
        raise not_found("job", job_id)
    status = JobStatus(job.status)
    if is_terminal(status):
        raise conflict(f"job {job_id} is already {status.value}")
    if status != JobStatus.CANCELLING:
        now = datetime.now(UTC)
        await transitions.move(
            session,
            job_id,
            status,
            JobStatus.CANCELLING,
            hooks=hooks,
            message="Cancellation requested",
            cancel_requested_at=now,
            wake_at=now,
        )
        await session.refresh(job)
    return job


# Which status each request needs; OpenAI pauses running jobs and resumes paused ones.
_ACTIONS = {"pause": JobStatus.RUNNING, "resume": JobStatus.PAUSED}


async def request_action(session: AsyncSession, team: str | None, job_id: str, action: str) -> Job:
    """Records a pause or resume for a worker to carry out; 409 when the job's status does not
    allow it. Asking again before it is carried out is a no-op."""
    job = await repository.get(session, job_id, team=team, for_update=True)
    if job is None:
        raise not_found("job", job_id)
    needed = _ACTIONS[action]
    info = PROVIDERS.get(job.provider)
    if info is not None and not info.capabilities.pause_resume:
        raise conflict(f"{info.title} cannot {action} a job; cancel it instead")
    if job.status != needed:
        raise conflict(f"job {job_id} is {job.status}; only a {needed.value} job can {action}")
    if job.requested_action != action:
        await repository.compare_and_set(
            session, job_id, needed, requested_action=action, wake_at=datetime.now(UTC)
        )
        await repository.add_events(
            session,
            job_id,
            # Not a `job.<status>` event: the job has not moved yet (consumers get those only).
            [
                NewEvent(
                    type=f"request.{action}",
                    message=f"{action.capitalize()} requested",
                    data={"requested_action": action},
                )
            ],
        )
        await session.refresh(job)
    return job


async def delete_dataset(session: AsyncSession, team: str | None, dataset_id: str) -> Dataset:
    uses = await repository.active_uses_of_dataset(session, dataset_id, list(TERMINAL))
    return await datasets.delete(session, team, dataset_id, uses)


async def checkpoints(session: AsyncSession, team: str | None, job_id: str) -> list[JobCheckpoint]:
    await get(session, team, job_id)
    return await results_repository.checkpoints(session, job_id)


async def metrics_page(
    session: AsyncSession, team: str | None, job_id: str, *, after_step: int, limit: int
) -> list[JobMetric]:
    await get(session, team, job_id)
    return await results_repository.metrics_page(
        session, job_id, after_step=after_step, limit=limit
    )


async def note_webhook(session: AsyncSession, notice: WebhookNotice) -> str | None:
    """Records the webhook once (OpenAI retries with the same id) and makes its job due now.
    Returns our job id when there is something to refresh; None for a duplicate, or a job that
    is not ours or has finished."""
    first = await results_repository.record_webhook(
        session, notice.webhook_id, notice.type, notice.job_id
    )
    if not first or notice.job_id is None:
        return None
    return await results_repository.wake_by_openai_id(session, notice.job_id)
