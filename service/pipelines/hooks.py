"""A pipeline moves on when one of its jobs finishes.

`on_job_finished` is a job hook (`service.jobs.hooks`): it runs inside the transaction that
writes the job's final status. The DPO job is created in that same transaction, with the
pipeline row locked and its status compared, so the second stage starts exactly once: a worker
killed before the commit leaves neither the SFT job's success nor the DPO job (the job is polled
again and the hook runs again); after the commit the SFT job is terminal and its hook never runs
again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Job
from service.db.pipeline_models import Pipeline
from service.errors import ServiceError, invalid
from service.jobs import service as jobs
from service.jobs.service import JobRequest
from service.jobs.states import JobStatus
from service.pipelines import repository
from service.pipelines.states import Decision, PipelineStatus, Stage, after_stage
from service.pipelines.transitions import move
from service.providers.registry import Destination

log = logging.getLogger(__name__)


async def on_job_finished(session: AsyncSession, job: Job) -> None:
    """The job hook: `job` has just ended, in the transaction that ended it."""
    if job.pipeline_id is None:
        return
    pipeline = await repository.get(session, job.pipeline_id, for_update=True)
    if pipeline is not None:
        await stage_finished(session, pipeline, job)


async def stage_finished(session: AsyncSession, pipeline: Pipeline, job: Job) -> None:
    """`pipeline` is locked by the caller; `job` has its final status."""
    stage = {pipeline.sft_job_id: Stage.SFT, pipeline.dpo_job_id: Stage.DPO}.get(job.id)
    if stage is None:
        return
    decision = after_stage(
        PipelineStatus(pipeline.status),
        stage,
        JobStatus(job.status),
        cancel_requested=pipeline.cancel_requested_at is not None,
    )
    if decision is None:
        return
    if decision.start_dpo:
        await _start_dpo(session, pipeline, job)
    elif decision.failed_stage is not None:
        error = (
            job.error_code or "job_failed",
            job.error_message or f"the {stage.value} job {job.id} failed",
        )
        await finish(session, pipeline, decision, error=error)
    else:
        await finish(session, pipeline, decision, fine_tuned_model=job.fine_tuned_model)


async def _start_dpo(session: AsyncSession, pipeline: Pipeline, sft_job: Job) -> None:
    try:
        request = _dpo_request(pipeline, sft_job)
        # A savepoint: a refused DPO job must not undo the SFT job's own final status.
        async with session.begin_nested():
            # No lease: wake_at = now, so the scheduler hands the job to a worker on its next
            # tick (nothing can be enqueued from inside a transaction).
            # The provider was chosen and checked with the pipeline; its end dates are left
            # to the provider itself, whose refusal fails the stage with its own words.
            dpo_job = await jobs.create(
                session,
                pipeline.team,
                request,
                lease=timedelta(0),
                destination=Destination.chosen(pipeline.provider),
            )
    except ServiceError as refused:
        log.warning("pipeline %s: the DPO job was refused: %s", pipeline.id, refused.detail)
        code = refused.errors[0].code if refused.errors else "dpo_job_refused"
        failed = Decision(PipelineStatus.FAILED, failed_stage=Stage.DPO)
        await finish(session, pipeline, failed, error=(code, refused.detail))
        return
    await move(session, pipeline, PipelineStatus.RUNNING_DPO, dpo_job_id=dpo_job.id)


def _dpo_request(pipeline: Pipeline, sft_job: Job) -> JobRequest:
    if not sft_job.fine_tuned_model:
        message = f"SFT job {sft_job.id} succeeded without a fine-tuned model"
        raise invalid(message)
    return JobRequest(
        training_dataset_id=pipeline.dataset_id,
        model=sft_job.fine_tuned_model,
        provider=pipeline.provider,
        method="dpo",
        hyperparameters=pipeline.dpo_hyperparameters,
        suffix=pipeline.suffix,
        seed=pipeline.seed,
        metadata=pipeline.pipeline_metadata,
        pipeline_id=pipeline.id,
    )


async def finish(
    session: AsyncSession,
    pipeline: Pipeline,
    decision: Decision,
    *,
    fine_tuned_model: str | None = None,
    error: tuple[str | None, str | None] = (None, None),
) -> None:
    """The pipeline's final status, and its webhook event in the same transaction (outbox)."""
    await move(
        session,
        pipeline,
        decision.status,
        fine_tuned_model=fine_tuned_model if decision.status == PipelineStatus.SUCCEEDED else None,
        failed_stage=decision.failed_stage,
        error_code=error[0],
        error_message=error[1],
    )
