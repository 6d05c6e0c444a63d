"""What a job produced, fetched from the provider: checkpoints and the result file's metrics."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from service.jobs import results_repository
from service.jobs.metrics import Progress, mentions_checkpoint, progress, step_metrics
from service.providers.base import (
    FineTuningProvider,
    ProviderError,
    RemoteCheckpoint,
    RemoteEvent,
    RemoteJob,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Results:
    checkpoints: list[RemoteCheckpoint] = field(default_factory=list)
    result_steps: dict[int, dict[str, float]] = field(default_factory=dict)


async def fetch(
    provider: FineTuningProvider, remote: RemoteJob, events: list[RemoteEvent]
) -> Results:
    """Checkpoints when one was announced or the job ended; the result file once it succeeded.
    Only then, so a poll stays one or two calls. A permanent error here is logged, not fatal:
    the job's outcome does not depend on its side files."""
    finished = remote.status == "succeeded"
    try:
        checkpoints = []
        if finished or mentions_checkpoint(events):
            checkpoints = await provider.list_checkpoints(remote.id)
        steps = {}
        if finished and remote.result_files:
            rows = await provider.result_metrics(remote.result_files[0])
            steps = {int(row["step"]): row for row in rows if float(row["step"]).is_integer()}
        return Results(checkpoints, steps)
    except ProviderError as error:
        if error.retryable:
            raise
        log.warning("could not read results of %s: %s", remote.id, error.message)
        return Results()


async def store(
    session: AsyncSession, job_id: str, events: list[RemoteEvent], results: Results
) -> Progress | None:
    """Writes checkpoints and per-step metrics; returns the training progress the events show."""
    await results_repository.upsert_checkpoints(session, job_id, results.checkpoints)
    steps = step_metrics(events)
    for step, values in results.result_steps.items():
        steps.setdefault(step, {}).update(values)
    await results_repository.merge_metrics(session, job_id, steps)
    return progress(events)
