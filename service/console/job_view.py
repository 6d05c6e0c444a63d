"""What the job page shows, from what the API would answer (pure): facts, progress, the
timeline, the charts and the checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.api.job_results import CheckpointOut
from service.api.schemas import EventOut, JobOut
from service.console import chart, formatting
from service.console.chart import Chart
from service.console.timeline import Entry, timeline
from service.jobs.states import JobStatus, is_terminal


@dataclass(frozen=True)
class Fact:
    label: str
    text: str
    href: str | None = None
    code: bool = False  # an identifier, shown in a monospace face


@dataclass(frozen=True)
class CheckpointRow:
    step: int
    model: str
    metrics: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class JobView:
    job: JobOut
    finished: bool
    progress_percent: float | None
    progress_text: str
    facts: tuple[Fact, ...]
    hyperparameters: tuple[tuple[str, str], ...]
    metadata: tuple[tuple[str, str], ...]
    timeline: tuple[Entry, ...]
    more_events: bool
    loss: Chart | None
    accuracy: Chart | None
    checkpoints: tuple[CheckpointRow, ...]


def job_view(
    job: JobOut,
    events: Sequence[EventOut],
    checkpoints: Sequence[CheckpointOut],
    steps: Sequence[tuple[int, dict[str, Any]]],
    *,
    more_events: bool = False,
) -> JobView:
    percent, text = progress(job)
    return JobView(
        job=job,
        finished=is_terminal(JobStatus(job.status)),
        progress_percent=percent,
        progress_text=text,
        facts=facts(job),
        hyperparameters=_rows(job.hyperparameters),
        metadata=_rows(job.metadata),
        timeline=tuple(timeline(events)),
        more_events=more_events,
        loss=chart.plot(
            chart.series_of(steps, "loss"), title="Loss per step", y_label="Loss (nats)"
        ),
        accuracy=chart.plot(
            chart.series_of(steps, "accuracy"),
            title="Accuracy per step",
            y_label="Accuracy (%)",
            as_percent=True,
        ),
        checkpoints=tuple(checkpoint_row(c) for c in checkpoints),
    )


def progress(job: JobOut) -> tuple[float | None, str]:
    """(percent done, words): by training step when the provider reports steps."""
    if job.status == JobStatus.SUCCEEDED:
        return 100.0, "finished"
    if job.progress is None:
        return None, "no training steps reported yet"
    step, total = job.progress.step, job.progress.total_steps
    if not total:
        return None, f"step {step:,}"
    share = min(100.0, 100.0 * step / total)
    return round(share, 1), f"step {step:,} of {total:,} ({share:.0f} %)"


def facts(job: JobOut) -> tuple[Fact, ...]:
    rows = [
        Fact("Provider", job.provider),
        Fact("Provider status", job.provider_status or "—"),
        Fact("Method", job.method.upper()),
        Fact("Base model", job.model, code=True),
        Fact(
            "Training dataset",
            job.training_dataset_id,
            f"/console/datasets/{job.training_dataset_id}",
            code=True,
        ),
    ]
    if job.validation_dataset_id:
        rows.append(
            Fact(
                "Validation dataset",
                job.validation_dataset_id,
                f"/console/datasets/{job.validation_dataset_id}",
                code=True,
            )
        )
    rows += [
        Fact("Provider job id", job.provider_job_id or "— (not created yet)", code=True),
        Fact("Provider file id", job.provider_file_id or "— (not uploaded yet)", code=True),
        Fact("Fine-tuned model", job.fine_tuned_model or "—", code=bool(job.fine_tuned_model)),
        Fact("Trained tokens", formatting.count(job.trained_tokens)),
        Fact("Created", formatting.timestamp(job.created_at)),
        Fact("Finished", formatting.timestamp(job.finished_at)),
        Fact("Took", formatting.elapsed(job.created_at, job.finished_at)),
    ]
    if job.estimated_finish and not job.finished_at:
        rows.append(Fact("Estimated finish", formatting.timestamp(job.estimated_finish)))
    if job.price_estimate is not None:
        rows.append(Fact("Price estimate", formatting.price(job.price_estimate)))
    if job.suffix:
        rows.append(Fact("Suffix", job.suffix, code=True))
    if job.seed is not None:
        rows.append(Fact("Seed", str(job.seed)))
    if job.pipeline_id:
        rows.append(
            Fact("Pipeline", job.pipeline_id, f"/console/pipelines/{job.pipeline_id}", code=True)
        )
    if job.requested_action:
        rows.append(Fact("Requested", f"{job.requested_action} (a worker carries it out)"))
    return tuple(rows)


def checkpoint_row(checkpoint: CheckpointOut) -> CheckpointRow:
    metrics = tuple(
        (chart.metric_label(name), formatting.metric(value))
        for name, value in sorted(checkpoint.metrics.items())
        if isinstance(value, int | float) and not isinstance(value, bool) and name != "step"
    )
    return CheckpointRow(checkpoint.step, checkpoint.fine_tuned_model_checkpoint, metrics)


def _rows(values: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((name, formatting.value(values[name])) for name in sorted(values))
