"""A Together job's life on the emulator clock, driven by `TogetherWorld.advance` and the routes.

pending (the files are checked at its end: a file that breaks Together's rules ends the job
`user_error`) -> queued -> running (steps advance; checkpoints, evaluations and epochs as planned)
-> compressing -> uploading -> completed. Every phase lasts `phase_seconds`, the running phase
`run_seconds` when set. A cancel moves the job to `cancel_requested`, and a phase later to
`cancelled`. `error` comes only from the controls (`fail`), as does a raw status the emulator
does not know (`freeze`), which stands still until `thaw` puts the job back where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.emulators.together.dataset_rules import examples, first_problem
from service.emulators.together.errors import invalid
from service.emulators.together.models import CATALOGUE
from service.emulators.together.records import (
    MOVING,
    CheckpointRecord,
    EventRecord,
    JobRecord,
    Milestone,
)
from service.emulators.together.training import metrics_at, plan_training

if TYPE_CHECKING:
    from service.emulators.together.state import TogetherWorld

INPUTS = (("training_file", "training"), ("validation_file", "validation"))


def start(world: TogetherWorld, job: JobRecord, at: float) -> None:
    """A new job, created at `at`: pending until its files have been checked."""
    job.updated_at = at
    emit(world, job, at, "job_pending", "Fine tune request created")
    _next_phase(world, job, at)


def emit(
    world: TogetherWorld,
    job: JobRecord,
    at: float,
    kind: str,
    message: str,
    *,
    level: str = "info",
    step: int | None = None,
    checkpoint_path: str | None = None,
    model_path: str | None = None,
    total_steps: int | None = None,
    token_count: int | None = None,
    param_count: int | None = None,
) -> None:
    job.events.append(
        EventRecord(
            created_at=at,
            type=kind,
            message=message,
            level=level,
            step=step,
            checkpoint_path=checkpoint_path,
            model_path=model_path,
            hash=world.ids.event_hash(),
            total_steps=total_steps,
            token_count=token_count,
            param_count=param_count,
        )
    )
    job.updated_at = at


def _next_phase(world: TogetherWorld, job: JobRecord, at: float) -> None:
    # read per phase, so a run-time change of phase_seconds applies from the next phase on
    world.schedule(job, at + world.settings.phase_seconds)


def fire(world: TogetherWorld, job: JobRecord, at: float) -> None:
    """Whatever was due for `job` at virtual time `at`."""
    world.unschedule(job)
    if job.status == "pending":
        _check_files(world, job, at)
    elif job.status == "queued":
        _start_running(world, job, at)
    elif job.status == "running":
        _reach_milestone(world, job, at)
    elif job.status == "compressing":
        emit(world, job, at, "model_compression_complete", "Compressing output model complete")
        emit(world, job, at, "model_uploading", "Uploading output model")
        job.status = "uploading"
        _next_phase(world, job, at)
    elif job.status == "uploading":
        _complete(world, job, at)
    elif job.status == "cancel_requested":
        job.status = "cancelled"
        emit(world, job, at, "job_stopped", "Job was cancelled by the user")


def _check_files(world: TogetherWorld, job: JobRecord, at: float) -> None:
    for param, kind in INPUTS:
        file_id = getattr(job, param)
        if file_id is None:
            continue
        record = world.files.get(file_id)
        if record is None or record.content is None:
            _user_error(world, job, at, f"The {kind} file {file_id} could not be found.")
            return
        if record.file_type != "jsonl":
            reason = f"{record.file_type} files are not emulated (JSONL only)"
            _user_error(world, job, at, f"Invalid {kind} file {file_id}: {reason}.")
            return
        problem = first_problem(record.content, job.method)
        if problem is not None:
            _user_error(world, job, at, f"Invalid {kind} file {file_id}: {problem.describe()}.")
            return
        if param == "training_file":
            job.examples = sum(1 for _ in examples(record.content))
    job.status = "queued"
    job.updated_at = at
    _next_phase(world, job, at)


def _user_error(world: TogetherWorld, job: JobRecord, at: float, message: str) -> None:
    job.status = "user_error"
    emit(world, job, at, "job_error", message, level="error")


def _start_running(world: TogetherWorld, job: JobRecord, at: float) -> None:
    spec = CATALOGUE[job.model]
    job.plan = plan_training(
        job, examples=job.examples, max_metrics=world.config.max_metrics_events
    )
    job.status = "running"
    job.started_at = at
    run_seconds = world.settings.run_seconds
    job.run_seconds = world.settings.phase_seconds if run_seconds is None else run_seconds
    job.run_started = at
    job.token_count = job.quote.train_tokens + job.quote.eval_tokens  # tokenized now
    job.total_price = job.quote.price_cents
    emit(world, job, at, "job_start", "Job started")
    emit(world, job, at, "model_downloading", f"Downloading model data for {job.model}")
    emit(world, job, at, "model_download_complete", "Model data downloaded")
    emit(world, job, at, "training_data_downloading", "Downloading training data")
    emit(world, job, at, "training_data_download_complete", "Training data downloaded")
    emit(
        world,
        job,
        at,
        "training_start",
        "Training started",
        total_steps=job.plan.total_steps,
        token_count=job.token_count,
        param_count=spec.param_count,
    )
    _schedule_milestone(world, job)


def _schedule_milestone(world: TogetherWorld, job: JobRecord) -> None:
    assert job.plan is not None
    assert job.run_started is not None
    milestone = job.plan.milestones[job.plan.next_index]
    world.schedule(job, job.run_started + milestone.fraction * job.run_seconds)


def _reach_milestone(world: TogetherWorld, job: JobRecord, at: float) -> None:
    plan = job.plan
    assert plan is not None
    milestone = plan.milestones[plan.next_index]
    plan.next_index += 1
    _log_step(world, job, at, milestone)
    if milestone.last:
        _finish_training(world, job, at)
    else:
        _schedule_milestone(world, job)


def _log_step(world: TogetherWorld, job: JobRecord, at: float, milestone: Milestone) -> None:
    """What a step shows: its metrics, and the evaluation, epoch end and checkpoint at it."""
    assert job.plan is not None
    step = milestone.step
    job.steps_completed = step
    job.metrics.append(metrics_at(job, job.plan, step, evaluation=milestone.evaluation))
    job.metrics_logged_at.append(at)
    if milestone.evaluation:
        job.evals_completed += 1
        emit(world, job, at, "eval_complete", f"Evaluation completed at step {step}", step=step)
    if milestone.epoch_complete is not None:
        job.epochs_completed = milestone.epoch_complete
        message = f"Epoch {milestone.epoch_complete} completed at step {step}"
        emit(world, job, at, "epoch_complete", message, step=step)
    if milestone.checkpoint:
        _checkpoint(world, job, at, milestone)


def _finish_training(world: TogetherWorld, job: JobRecord, at: float) -> None:
    assert job.plan is not None
    total = job.plan.total_steps
    emit(world, job, at, "training_complete", "Training completed", step=total, total_steps=total)
    emit(world, job, at, "model_compressing", "Compressing output model")
    job.status = "compressing"
    _next_phase(world, job, at)


def artifact(job: JobRecord) -> str:
    """What a LoRA job produces is an adapter; a full fine-tune a whole model."""
    return "adapter" if job.training_type["type"] == "Lora" else "model"


def _checkpoint(world: TogetherWorld, job: JobRecord, at: float, milestone: Milestone) -> None:
    path = f"s3://together-finetune/{world.account}/{job.id}/checkpoints/step-{milestone.step}"
    job.checkpoints.append(
        CheckpointRecord(milestone.step, at, path, "Intermediate", artifact(job))
    )
    emit(
        world,
        job,
        at,
        "checkpoint_save",
        f"New checkpoint saved at step {milestone.step}",
        step=milestone.step,
        checkpoint_path=path,
    )


def _complete(world: TogetherWorld, job: JobRecord, at: float) -> None:
    assert job.plan is not None
    path = f"s3://together-finetune/{world.account}/{job.id}/output/{job.output_name}"
    job.model_output_path = path
    job.checkpoints.append(CheckpointRecord(job.plan.total_steps, at, path, "Final", artifact(job)))
    emit(world, job, at, "model_upload_complete", "Output model uploaded")
    job.status = "completed"
    emit(
        world,
        job,
        at,
        "job_complete",
        f"Job finished: {job.output_name}",
        model_path=path,
        step=job.plan.total_steps,
    )


def cancel(world: TogetherWorld, job: JobRecord, at: float) -> None:
    """Ask for a cancel: `cancel_requested` now, `cancelled` a phase later; an ended job is a
    400 and a second request changes nothing."""
    if job.ended:
        raise invalid(
            f"Fine-tune job {job.id} cannot be cancelled: it has already ended ({job.status}).",
            param="id",
            code="job_not_cancellable",
        )
    if job.status == "cancel_requested":
        return
    world.unschedule(job)
    job.frozen_from = None
    if job.plan is not None:  # a cancelled job pays for the steps it ran
        job.total_price = job.quote.share(job.steps_completed / job.plan.total_steps)
    job.status = "cancel_requested"
    emit(world, job, at, "cancel_requested", "Cancel requested by the user")
    _next_phase(world, job, at)


def fail(world: TogetherWorld, job: JobRecord, at: float, message: str) -> None:
    """End the job `error`, as an internal failure at Together would (a control, not an API)."""
    if job.ended:
        raise invalid(f"Fine-tune job {job.id} has already ended ({job.status}).", param="id")
    world.unschedule(job)
    job.frozen_from = None
    job.status = "error"
    emit(world, job, at, "job_error", message, level="error")


def freeze(world: TogetherWorld, job: JobRecord, at: float, status: str) -> None:
    """Show a raw status the emulator does not drive (e.g. `paused_for_maintenance`); the job
    stands still until `thaw`."""
    if job.ended:
        raise invalid(f"Fine-tune job {job.id} has already ended ({job.status}).", param="id")
    if job.frozen_from is None:
        job.frozen_from = job.status
        job.frozen_at = at
        world.unschedule(job)
    job.status = status
    job.updated_at = at


def thaw(world: TogetherWorld, job: JobRecord, at: float) -> None:
    """Back to the status before `freeze`; the interrupted phase goes on from where it was."""
    if job.frozen_from is None:
        raise invalid(f"Fine-tune job {job.id} has no raw status to undo.", param="id")
    job.status, job.frozen_from = job.frozen_from, None
    job.updated_at = at
    if job.status == "running" and job.run_started is not None:
        job.run_started += max(0.0, at - (job.frozen_at or at))  # the frozen time does not count
        _schedule_milestone(world, job)
    elif job.status in MOVING:
        _next_phase(world, job, at)
