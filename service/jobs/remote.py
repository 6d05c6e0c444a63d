"""Folding what OpenAI reports into our row: status, results, errors, mirrored events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Job
from service.jobs import repository
from service.jobs.events import mirrored, status_event
from service.jobs.hooks import NO_HOOKS, JobHooks
from service.jobs.repository import NewEvent
from service.jobs.results import Results
from service.jobs.results import store as store_results
from service.jobs.states import JobStatus, is_terminal, next_status
from service.jobs.timing import Timing
from service.providers.base import ProviderError, RemoteEvent, RemoteJob


async def apply_remote(
    session: AsyncSession,
    job_id: str,
    remote: RemoteJob,
    events: list[RemoteEvent],
    timing: Timing,
    hooks: JobHooks = NO_HOOKS,
    results: Results | None = None,
) -> JobStatus | None:
    """Writes OpenAI's view of the job in the caller's transaction; returns the new status
    if it changed. The row lock makes a concurrent API cancel wait, not get lost."""
    job = await repository.get(session, job_id, for_update=True)
    if job is None or is_terminal(JobStatus(job.status)):
        return None
    current = JobStatus(job.status)
    target = next_status(current, remote.status)
    status = target or current
    values = _result_fields(remote) | _schedule(status, remote, timing)
    if events:
        values["openai_last_event_id"] = events[-1].id
    if target is not None:
        values["status"] = target
    progress = await store_results(session, job_id, events, results or Results())
    if progress is not None:
        values |= {"progress_step": progress.step, "progress_total": progress.total}
    await repository.compare_and_set(session, job_id, current, **values)
    new_events = [mirrored(event) for event in events]
    if target is not None:
        new_events.append(_status_change_event(target, remote))
    await repository.add_events(session, job_id, new_events)
    if target is not None and is_terminal(target):
        await session.refresh(job)
        await hooks.finished(session, job)
    return target


def _result_fields(remote: RemoteJob) -> dict[str, Any]:
    values: dict[str, Any] = {
        "fine_tuned_model": remote.fine_tuned_model,
        "trained_tokens": remote.trained_tokens,
        "estimated_finish": remote.estimated_finish,
        "attempts": 0,
    }
    if remote.error is not None and remote.status == JobStatus.FAILED:
        values |= {
            "error_code": remote.error.code,
            "error_message": remote.error.message,
            "error_retryable": False,
        }
    return values


def _schedule(status: JobStatus, remote: RemoteJob, timing: Timing) -> dict[str, Any]:
    now = datetime.now(UTC)
    if is_terminal(status):
        return {"wake_at": None, "finished_at": remote.finished_at or now, "estimated_finish": None}
    return {"wake_at": now + timedelta(seconds=timing.poll_delay(status))}


def _status_change_event(status: JobStatus, remote: RemoteJob) -> NewEvent:
    if status == JobStatus.SUCCEEDED:
        return status_event(
            status,
            f"Fine-tuned model ready: {remote.fine_tuned_model}",
            data={"fine_tuned_model": remote.fine_tuned_model},
        )
    if status == JobStatus.FAILED:
        code, message = (remote.error.code, remote.error.message) if remote.error else ("", "")
        return status_event(
            status,
            f"OpenAI failed the job: {code}: {message}",
            level="error",
            data={"error": {"code": code, "message": message}},
        )
    return status_event(
        status, f"OpenAI reports the job {status.value}", data={"openai_job_id": remote.id}
    )


async def fail_permanently(
    session: AsyncSession, job: Job, error: ProviderError, hooks: JobHooks = NO_HOOKS
) -> None:
    """A permanent provider error ends the job with the provider's own code and words: no
    retry loop (e.g. 403 training_not_available once OpenAI stops new training jobs)."""
    current = JobStatus(job.status)
    if is_terminal(current):
        return
    moved = await repository.compare_and_set(
        session,
        job.id,
        current,
        status=JobStatus.FAILED,
        error_code=error.code,
        error_message=error.message,
        error_retryable=False,
        wake_at=None,
        finished_at=datetime.now(UTC),
    )
    if moved:
        event = status_event(
            JobStatus.FAILED,
            f"OpenAI refused the request: {error.code}: {error.message}",
            level="error",
            data={
                "error": {"code": error.code, "message": error.message, "http_status": error.status}
            },
        )
        await repository.add_events(session, job.id, [event])
        await session.refresh(job)
        await hooks.finished(session, job)
