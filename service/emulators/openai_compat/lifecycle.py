"""The job state machine (reference §8), driven by `Emulator.advance` and the job routes.

validating_files -> queued -> running -> succeeded, each phase `phase_seconds` long; a bad file
fails the job at the end of validation; at most `max_running_per_model` jobs run per model and the
rest wait in `queued`, first come first served; pause keeps the training progress.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.emulators.errors import bad_request
from service.emulators.openai_compat.dataset_rules import DatasetError
from service.emulators.openai_compat.records import (
    CheckpointRecord,
    DatasetReport,
    EventRecord,
    JobRecord,
)
from service.emulators.openai_compat.reports import Outcome
from service.emulators.openai_compat.training import (
    checkpoint_metrics,
    injected_failure,
    metrics_at,
    metrics_message,
    plan_training,
    result_csv,
    trained_tokens,
)

if TYPE_CHECKING:
    from service.emulators.openai_compat.state import Emulator

KEPT_CHECKPOINTS = 3
VALIDATION_POLL_SECONDS = 0.05


def start(emu: Emulator, job: JobRecord, at: float) -> None:
    """A new job, created at `at` (not the whole second in `created_at`): validate its files."""
    emit(emu, job, at, f"Created fine-tuning job: {job.id}")
    message = f"Validating training file: {job.training_file}"
    if job.validation_file is not None:
        message += f" and validation file: {job.validation_file}"
    emit(emu, job, at, message)
    for param, file_id in _inputs(job):
        record = emu.get_file(file_id)
        if record is not None:  # check the data now, in the background if it is big
            emu.reports.request((file_id, job.method, param), record.content)
    _begin_phase(emu, job, at)


def _inputs(job: JobRecord) -> list[tuple[str, str]]:
    inputs = [("training_file", job.training_file)]
    if job.validation_file is not None:
        inputs.append(("validation_file", job.validation_file))
    return inputs


def fire(emu: Emulator, job: JobRecord, at: float) -> None:
    """Whatever was due for `job` at virtual time `at`."""
    if job.status == "validating_files":
        _finish_validation(emu, job, at)
    elif job.status == "queued":
        _leave_queue(emu, job, at)
    elif job.status == "running":
        _reach_milestone(emu, job, at)


def emit(
    emu: Emulator,
    job: JobRecord,
    at: float,
    message: str,
    *,
    level: str = "info",
    data: dict[str, Any] | None = None,
) -> None:
    kind = "message" if data is None else "metrics"  # only metrics events carry data
    job.events.append(
        EventRecord(emu.ids.event(), int(at), level, message, type=kind, data=data or {})
    )


def _begin_phase(emu: Emulator, job: JobRecord, at: float) -> None:
    # read per phase, so a run-time change of phase_seconds applies from the next phase on
    emu.timeline.schedule(job, at + emu.settings.phase_seconds)


def _finish_validation(emu: Emulator, job: JobRecord, at: float) -> None:
    outcomes = [_outcome(emu, job, param, file_id) for param, file_id in _inputs(job)]
    reports: list[DatasetReport] = []
    for outcome in outcomes:
        if outcome is None:  # a big file is still being checked: validation lasts longer
            emu.timeline.schedule(job, max(at, emu.now()) + VALIDATION_POLL_SECONDS)
            return
        if isinstance(outcome, DatasetError):
            fail(emu, job, at, code=outcome.code, message=outcome.message, param=outcome.param)
            return
        reports.append(outcome)
    job.training = reports[0]
    emit(emu, job, at, "Files validated, moving job to queued state")
    job.status = "queued"
    _begin_phase(emu, job, at)


def _outcome(emu: Emulator, job: JobRecord, param: str, file_id: str) -> Outcome | None:
    key = (file_id, job.method, param)
    if emu.reports.get(key) is None and not emu.reports.pending(key):
        record = emu.get_file(file_id)
        if record is None:
            kind = param.removesuffix("_file")
            return DatasetError(
                f"invalid_{kind}_file",
                f"The job failed due to an invalid {kind} file. File {file_id} could not be found.",
                param,
            )
        emu.reports.request(key, record.content)
    return emu.reports.get(key)


def _leave_queue(emu: Emulator, job: JobRecord, at: float) -> None:
    if len(emu.running.setdefault(job.model, set())) >= emu.config.max_running_per_model:
        emu.waiting.setdefault(job.model, []).append(job.id)  # no due time until a slot frees
        return
    _start_running(emu, job, at)


def _start_running(emu: Emulator, job: JobRecord, at: float) -> None:
    emu.running.setdefault(job.model, set()).add(job.id)
    job.status = "running"
    if job.plan is None:
        assert job.training is not None  # validation ran before the job could queue
        flavor = emu.flavor  # training a fine-tuned model names the original base model
        base = flavor.base_model(job.model)
        name = flavor.fine_tuned_name(base, job.suffix, emu.config.org, emu.ids.model_tag())
        job.plan = plan_training(
            job, job.training, model_name=name, max_metrics=emu.config.max_metrics_events
        )
        job.hyperparameters = dict(job.plan.hyperparameters)  # "auto" resolved from here on
        run_seconds = emu.settings.run_seconds
        job.run_seconds = emu.settings.phase_seconds if run_seconds is None else run_seconds
        emit(emu, job, at, "Fine-tuning job started")
    job.run_started = at
    job.estimated_finish = round(at + job.run_seconds - job.run_done)
    _schedule_milestone(emu, job)


def _schedule_milestone(emu: Emulator, job: JobRecord) -> None:
    assert job.plan is not None
    assert job.run_started is not None
    milestone = job.plan.milestones[job.plan.next_index]
    due = job.run_started + milestone.fraction * job.run_seconds - job.run_done
    emu.timeline.schedule(job, max(due, job.run_started))


def _reach_milestone(emu: Emulator, job: JobRecord, at: float) -> None:
    plan = job.plan
    assert plan is not None
    milestone = plan.milestones[plan.next_index]
    plan.next_index += 1
    metrics = metrics_at(job, milestone.step, plan.total_steps)
    if milestone.metrics:
        plan.rows.append(metrics)
        data = {**metrics, "total_steps": plan.total_steps}
        emit(emu, job, at, metrics_message(metrics, plan.total_steps), data=data)
    if milestone.checkpoint:
        _checkpoint(emu, job, at, milestone.step, metrics)
    failure = injected_failure(job.suffix)
    if milestone.fail and failure is not None:
        fail(emu, job, at, code=failure[0], message=failure[1], param=None)
    elif milestone.complete:
        _succeed(emu, job, at)
    else:
        _schedule_milestone(emu, job)


def _checkpoint(
    emu: Emulator, job: JobRecord, at: float, step: int, metrics: dict[str, float]
) -> None:
    assert job.plan is not None
    name = f"{job.plan.model_name}:ckpt-step-{step}"
    record = CheckpointRecord(
        emu.ids.checkpoint(), int(at), step, name, checkpoint_metrics(metrics)
    )
    job.checkpoints = [*job.checkpoints, record][-KEPT_CHECKPOINTS:]  # the API keeps the last 3
    emu.models.add(name)
    emit(emu, job, at, f"Checkpoint created at step {step} with Snapshot ID: {name}")


def _succeed(emu: Emulator, job: JobRecord, at: float) -> None:
    plan = job.plan
    assert plan is not None
    assert job.training is not None
    _leave_running(emu, job, at)
    content = result_csv(plan.rows, as_base64=emu.config.result_file_base64)
    result = emu.add_file(
        content, filename="step_metrics.csv", purpose="fine-tune-results", created_at=at
    )
    job.result_files = [result.id]
    job.fine_tuned_model = plan.model_name
    job.trained_tokens = trained_tokens(job.training, plan.hyperparameters)
    emu.models.add(plan.model_name)
    emit(emu, job, at, f"New fine-tuned model created: {plan.model_name}")
    emit(emu, job, at, "Fine-tuning job successfully completed")
    _finish(emu, job, at, "succeeded")


def fail(
    emu: Emulator, job: JobRecord, at: float, *, code: str, message: str, param: str | None
) -> None:
    if job.status == "running":
        _leave_running(emu, job, at)
    job.error = {"code": code, "message": message, "param": param}
    emit(emu, job, at, message, level="error")
    _finish(emu, job, at, "failed")


def _finish(emu: Emulator, job: JobRecord, at: float, status: str) -> None:
    job.status = status
    job.finished_at = int(at)
    job.estimated_finish = None
    emu.timeline.unschedule(job)
    emu.notify_terminal(job, at)  # after the state change, so a GET sees it before any webhook


def _leave_running(emu: Emulator, job: JobRecord, at: float) -> None:
    assert job.run_started is not None
    emu.running.get(job.model, set()).discard(job.id)
    job.run_done += at - job.run_started
    job.run_started = None
    job.estimated_finish = None
    _fill_slot(emu, job.model, at)


def _fill_slot(emu: Emulator, model: str, at: float) -> None:
    waiting = emu.waiting.get(model, [])
    while waiting and len(emu.running.get(model, set())) < emu.config.max_running_per_model:
        job = emu.jobs.get(waiting.pop(0))
        if job is not None and job.status == "queued":  # cancelled ones are skipped
            _start_running(emu, job, at)


def cancel(emu: Emulator, job: JobRecord, at: float) -> None:
    if job.terminal:
        raise bad_request(f"Cannot cancel a job that has already {job.status}: {job.id}")
    if job.status == "running":
        _leave_running(emu, job, at)
    emit(emu, job, at, "Job cancelled")
    _finish(emu, job, at, "cancelled")


def pause(emu: Emulator, job: JobRecord, at: float) -> None:
    if job.status != "running":
        raise bad_request(
            f"Cannot pause a job that is {job.status}; only running jobs can be paused."
        )
    _leave_running(emu, job, at)
    emu.timeline.unschedule(job)
    job.status = "paused"
    emit(emu, job, at, "Job paused")


def resume(emu: Emulator, job: JobRecord, at: float) -> None:
    if job.status != "paused":
        raise bad_request(
            f"Cannot resume a job that is {job.status}; only paused jobs can be resumed."
        )
    emit(emu, job, at, "Job resumed")
    job.status = "queued"
    _begin_phase(emu, job, at)
