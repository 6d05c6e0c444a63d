"""The one path every change of a job's status takes, and what a provider's report does to a row.

`move` is the only code that writes `jobs.status`. It checks the legal-move table
(`states.can_move`), does the compare-and-set, writes the `job.<status>` event (and with it the
webhook outbox rows) in the caller's transaction, and, when the job has ended, runs the job
hooks (a pipeline starts its next stage there). The hooks are a required argument: a caller that
forgot them would end a pipeline's job without moving the pipeline.

Every entry point uses it: the API (cancel), the worker's submit, poll and cancel steps,
`apply_report` for whatever the provider says, and `fail_permanently` for a provider's refusal.
A provider's own status names are mapped to ours in `states` before they get here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import ServiceError
from service.jobs import repository
from service.jobs.events import mirrored, status_event
from service.jobs.hooks import JobHooks
from service.jobs.repository import NewEvent
from service.jobs.results import Results
from service.jobs.results import store as store_results
from service.jobs.states import JobStatus, can_move, is_terminal, next_status
from service.jobs.timing import Timing
from service.providers.base import ProviderError, RemoteEvent, RemoteJob
from service.providers.registry import title


class IllegalMoveError(ServiceError):
    """A move the legal-move table forbids; nothing was written."""


def illegal_move(job_id: str, current: JobStatus, target: JobStatus) -> IllegalMoveError:
    return IllegalMoveError(
        f"job {job_id} is {current.value}; it cannot become {target.value}",
        status=409,
        title="Conflict",
    )


async def move(
    session: AsyncSession,
    job_id: str,
    current: JobStatus,
    target: JobStatus,
    *,
    hooks: JobHooks,
    message: str,
    level: str = "info",
    data: dict[str, Any] | None = None,
    events_before: Sequence[NewEvent] = (),
    **values: Any,
) -> bool:
    """Moves the job from `current` to `target` with `values` written beside the status.
    False when the job was no longer `current` (someone moved it first): nothing is written.
    `events_before` (mirrored provider events) are stored ahead of the status event, in order."""
    if not can_move(current, target):
        raise illegal_move(job_id, current, target)
    if is_terminal(target):
        values.setdefault("wake_at", None)
        values.setdefault("finished_at", datetime.now(UTC))
    if not await repository.compare_and_set(session, job_id, current, status=target, **values):
        return False
    event = status_event(target, message, level=level, data=data)
    await repository.add_events(session, job_id, [*events_before, event])
    if is_terminal(target):
        job = await repository.get(session, job_id)
        if job is not None:
            await session.refresh(job)
            await hooks.finished(session, job)
    return True


async def apply_report(
    session: AsyncSession,
    job_id: str,
    remote: RemoteJob,
    events: list[RemoteEvent],
    timing: Timing,
    hooks: JobHooks,
    results: Results | None = None,
) -> JobStatus | None:
    """Writes the provider's view of the job in the caller's transaction; returns the new status
    if it changed. The row lock makes a concurrent API cancel wait, not get lost."""
    job = await repository.get(session, job_id, for_update=True)
    if job is None or is_terminal(JobStatus(job.status)):
        return None
    current = JobStatus(job.status)
    target = next_status(current, remote.status)
    values = _result_fields(remote) | _schedule(target or current, remote, timing)
    values["provider_status"] = remote.raw_status
    if events:
        values["provider_last_event_id"] = events[-1].id
    progress = await store_results(session, job_id, events, results or Results())
    if progress is not None:
        values |= {"progress_step": progress.step, "progress_total": progress.total}
    new_events = [mirrored(event, job.provider) for event in events]
    if target is None:
        await repository.compare_and_set(session, job_id, current, **values)
        await repository.add_events(session, job_id, new_events)
        return None
    message, level, data = _report_event(target, remote, title(job.provider))
    await move(
        session,
        job_id,
        current,
        target,
        hooks=hooks,
        message=message,
        level=level,
        data=data,
        events_before=new_events,
        **values,
    )
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


def _report_event(
    status: JobStatus, remote: RemoteJob, provider: str
) -> tuple[str, str, dict[str, Any]]:
    """The message, level and data of the `job.<status>` event a provider's report causes."""
    if status == JobStatus.SUCCEEDED:
        model = remote.fine_tuned_model
        return f"Fine-tuned model ready: {model}", "info", {"fine_tuned_model": model}
    if status == JobStatus.FAILED:
        code, message = (remote.error.code, remote.error.message) if remote.error else ("", "")
        error = {"error": {"code": code, "message": message}}
        return f"{provider} failed the job: {code}: {message}", "error", error
    data = {"provider_job_id": remote.id, "provider_status": remote.raw_status}
    said = f" ({remote.raw_status})" if remote.raw_status != status.value else ""
    return f"{provider} reports the job {status.value}{said}", "info", data


async def fail_permanently(
    session: AsyncSession, job_id: str, error: ProviderError, hooks: JobHooks
) -> None:
    """A permanent provider error ends the job with the provider's own code and words: no
    retry loop (e.g. 403 training_not_available once OpenAI stops new training jobs)."""
    job = await repository.get(session, job_id)
    if job is None or is_terminal(JobStatus(job.status)):
        return
    await move(
        session,
        job_id,
        JobStatus(job.status),
        JobStatus.FAILED,
        hooks=hooks,
        message=f"{title(job.provider)} refused the request: {error.code}: {error.message}",
        level="error",
        data={"error": {"code": error.code, "message": error.message, "http_status": error.status}},
        error_code=error.code,
        error_message=error.message,
        error_retryable=False,
    )
