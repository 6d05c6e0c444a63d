"""The one path every change of a pipeline's status takes.

`move` checks the legal-move table (`states.can_move`), does the compare-and-set and, for a
pipeline that succeeded or failed, writes its webhook event in the same transaction (outbox).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.pipeline_models import Pipeline
from service.errors import ServiceError
from service.pipelines import repository
from service.pipelines.states import PipelineStatus, can_move, is_terminal
from service.webhooks import outbox

# Consumers hear of a pipeline's end; a cancelled one was asked for by the consumer itself.
ANNOUNCED = frozenset({PipelineStatus.SUCCEEDED, PipelineStatus.FAILED})


class IllegalPipelineMoveError(ServiceError):
    """A move the legal-move table forbids; nothing was written."""


async def move(
    session: AsyncSession, pipeline: Pipeline, target: PipelineStatus, **values: Any
) -> bool:
    """Moves `pipeline` (locked by the caller) from the status it was read with to `target`,
    writing `values` beside it; False when someone moved it first. `pipeline` is refreshed."""
    current = PipelineStatus(pipeline.status)
    if not can_move(current, target):
        raise IllegalPipelineMoveError(
            f"pipeline {pipeline.id} is {current.value}; it cannot become {target.value}",
            status=409,
            title="Conflict",
        )
    if is_terminal(target):
        values.setdefault("finished_at", datetime.now(UTC))
    if not await repository.compare_and_set(session, pipeline.id, current, status=target, **values):
        return False
    await session.refresh(pipeline)
    if target in ANNOUNCED:
        await outbox.record(
            session, team=pipeline.team, type=f"pipeline.{target.value}", data=event_data(pipeline)
        )
    return True


def event_data(pipeline: Pipeline) -> dict[str, Any]:
    """The pipeline as webhook consumers receive it (JSON-ready)."""
    error = None
    if pipeline.error_code is not None:
        error = {"code": pipeline.error_code, "message": pipeline.error_message or ""}
    return {
        "id": pipeline.id,
        "status": pipeline.status,
        "model": pipeline.model,
        "dataset_id": pipeline.dataset_id,
        "sft_dataset_id": pipeline.sft_dataset_id,
        "provider": pipeline.provider,
        "sft_job_id": pipeline.sft_job_id,
        "dpo_job_id": pipeline.dpo_job_id,
        "fine_tuned_model": pipeline.fine_tuned_model,
        "failed_stage": pipeline.failed_stage,
        "error": error,
        "suffix": pipeline.suffix,
        "metadata": pipeline.pipeline_metadata,
        "finished_at": pipeline.finished_at.isoformat() if pipeline.finished_at else None,
    }
