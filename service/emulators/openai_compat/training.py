"""The pretend training run: resolved hyperparameters, the step plan, metrics and the result CSV.

Nothing here knows about time; `lifecycle` maps milestones (fractions of the running phase) onto
the clock.
"""

from __future__ import annotations

import base64
import math
import random

from service.emulators.openai_compat.records import (
    DatasetReport,
    Hyperparameters,
    JobRecord,
    Milestone,
    TrainingPlan,
)

FAIL_PREFIX = "emu-fail"
CSV_HEADER = "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy"


def resolve_hyperparameters(
    method: str, requested: Hyperparameters, examples: int
) -> Hyperparameters:
    """Replace every "auto" with the number OpenAI would plausibly have picked."""
    auto: Hyperparameters = {
        "batch_size": min(8, max(1, examples // 100)),
        "learning_rate_multiplier": 0.1 if method == "dpo" else 1.8,
        "n_epochs": 3,
        "beta": 0.1,
    }
    return {key: auto[key] if value == "auto" else value for key, value in requested.items()}


def injected_failure(suffix: str | None) -> tuple[str, str] | None:
    """`emu-fail` fails the run with server_error; `emu-fail-<code>` with that code."""
    if suffix is None or not suffix.startswith(FAIL_PREFIX):
        return None
    code = suffix[len(FAIL_PREFIX) :].lstrip("-_") or "server_error"
    if code == "server_error":
        return code, "The job failed due to an internal error."
    return code, f"The job failed with error code {code} (injected by the emulator)."


def plan_training(
    job: JobRecord, report: DatasetReport, *, model_name: str, max_metrics: int
) -> TrainingPlan:
    """Steps = ceil(examples / batch_size) x n_epochs; even metrics, a checkpoint per epoch."""
    hyperparameters = resolve_hyperparameters(job.method, job.hyperparameters, report.examples)
    steps_per_epoch = math.ceil(report.examples / int(hyperparameters["batch_size"]))
    epochs = int(hyperparameters["n_epochs"])
    total = steps_per_epoch * epochs
    metric_steps = _spread(total, max_metrics)
    checkpoint_steps = {steps_per_epoch * epoch for epoch in range(1, epochs + 1)}
    fails = injected_failure(job.suffix) is not None
    stop = max(1, total // 2) if fails else total
    milestones = [
        Milestone(
            step=step,
            fraction=step / total,
            metrics=step in metric_steps,
            checkpoint=step in checkpoint_steps,
        )
        for step in sorted((metric_steps | checkpoint_steps) - set(range(stop + 1, total + 1)))
    ]
    milestones.append(Milestone(step=stop, fraction=stop / total, fail=fails, complete=not fails))
    return TrainingPlan(
        hyperparameters=hyperparameters,
        total_steps=total,
        milestones=milestones,
        model_name=model_name,
    )


def _spread(total: int, count: int) -> set[int]:
    if total <= count:
        return set(range(1, total + 1))
    return {math.ceil(total * index / count) for index in range(1, count + 1)}


def metrics_at(job: JobRecord, step: int, total: int) -> dict[str, float]:
    """A loss that falls and an accuracy that rises with a little noise, the same on every run."""
    rng = random.Random(job.seed * 1_000_003 + step)  # per step, so pausing never changes values
    progress = step / total
    start = 0.693 if job.method == "dpo" else 1.6  # DPO loss starts near ln 2
    loss = max(0.001, start * math.exp(-2.2 * progress) + 0.02 + rng.uniform(-0.03, 0.03) * start)
    accuracy = min(1.0, 0.5 + 0.45 * (1 - math.exp(-3 * progress)) + rng.uniform(-0.02, 0.02))
    metrics: dict[str, float] = {
        "step": step,
        "train_loss": round(loss, 4),
        "train_mean_token_accuracy": round(accuracy, 4),
    }
    if job.validation_file is not None:
        metrics["valid_loss"] = round(loss * 1.08, 4)
        metrics["valid_mean_token_accuracy"] = round(accuracy * 0.97, 4)
    return metrics


def metrics_message(metrics: dict[str, float], total: int) -> str:
    message = f"Step {int(metrics['step'])}/{total}: training loss={metrics['train_loss']:.2f}"
    if "valid_loss" in metrics:
        message += f", validation loss={metrics['valid_loss']:.2f}"
    return message


def checkpoint_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """Checkpoints also report the full-validation-set numbers when there is a validation file."""
    result = dict(metrics)
    if "valid_loss" in metrics:
        result["full_valid_loss"] = metrics["valid_loss"]
        result["full_valid_mean_token_accuracy"] = metrics["valid_mean_token_accuracy"]
    return result


def result_csv(rows: list[dict[str, float]], *, as_base64: bool) -> bytes:
    """The `fine-tune-results` CSV: a row per reported step; validation columns may be empty."""
    lines = [CSV_HEADER]
    for row in rows:
        valid_loss = row.get("valid_loss")
        valid_accuracy = row.get("valid_mean_token_accuracy")
        lines.append(
            f"{int(row['step'])},{row['train_loss']},{row['train_mean_token_accuracy']},"
            f"{'' if valid_loss is None else valid_loss},"
            f"{'' if valid_accuracy is None else valid_accuracy}"
        )
    content = ("\n".join(lines) + "\n").encode()
    return base64.b64encode(content) if as_base64 else content


def trained_tokens(report: DatasetReport, hyperparameters: Hyperparameters) -> int:
    """Billable tokens ~ whitespace-split tokens of the training file x epochs."""
    return report.words * int(hyperparameters["n_epochs"])
