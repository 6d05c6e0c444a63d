"""The pretend training run: batch size, the step plan (epochs, checkpoints, evaluations) and the
metrics each step logs. Nothing here knows about time; `lifecycle` maps milestones (fractions of
the running phase) onto the clock.
"""

from __future__ import annotations

import math
import random

from service.emulators.together.records import JobRecord, Milestone, TrainingPlan


def plan_training(job: JobRecord, *, examples: int, max_metrics: int) -> TrainingPlan:
    """Steps = ceil(examples / batch) x epochs; `n_checkpoints` counts the final model, so the
    others are spread evenly before it; `n_evals` evaluations are spread over the run."""
    batch = job.batch_size
    per_epoch = max(1, math.ceil(examples / batch))
    total = per_epoch * job.n_epochs
    epoch_ends = {per_epoch * epoch: epoch for epoch in range(1, job.n_epochs + 1)}
    checkpoints = _spread(total, job.n_checkpoints) - {total}
    evaluations = _spread(total, job.n_evals) if job.validation_file is not None else set()
    logged = _spread(total, max_metrics)
    steps = sorted(logged | checkpoints | evaluations | set(epoch_ends) | {total})
    milestones = [
        Milestone(
            step=step,
            fraction=step / total,
            epoch_complete=epoch_ends.get(step),
            checkpoint=step in checkpoints,
            evaluation=step in evaluations,
            last=step == total,
        )
        for step in steps
    ]
    return TrainingPlan(steps_per_epoch=per_epoch, total_steps=total, milestones=milestones)


def _spread(total: int, count: int) -> set[int]:
    """`count` steps spread evenly over 1..total, the last one at `total` (fewer if the run is
    shorter than `count` steps)."""
    if count <= 0:
        return set()
    if total <= count:
        return set(range(1, total + 1))
    return {math.ceil(total * index / count) for index in range(1, count + 1)}


def min_lr_ratio(job: JobRecord) -> float:
    """Where the (checked) scheduler lets the learning rate fall to, as a share of the peak."""
    scheduler = job.settings.get("lr_scheduler") or {}
    ratio = (scheduler.get("lr_scheduler_args") or {}).get("min_lr_ratio")
    return 0.0 if ratio is None else float(ratio)


def metrics_at(
    job: JobRecord, plan: TrainingPlan, step: int, *, evaluation: bool
) -> dict[str, float]:
    """A loss that falls with a little noise, the same on every run of the same job; DPO adds
    reward accuracies and margins, an evaluation step its eval loss."""
    seed = job.random_seed if job.random_seed is not None else 42
    rng = random.Random(f"{job.id}:{seed}:{step}")
    progress = step / plan.total_steps
    start = 0.693 if job.method == "dpo" else 1.8  # DPO's loss starts near ln 2
    loss = max(0.001, start * math.exp(-2.0 * progress) + 0.02 + rng.uniform(-0.03, 0.03) * start)
    learning_rate = job.learning_rate * (1 - (1 - min_lr_ratio(job)) * progress)
    metrics: dict[str, float] = {
        "train/global_step": step,
        "train/epoch": round(step / plan.steps_per_epoch, 4),
        "train/loss": round(loss, 4),
        "train/learning_rate": learning_rate,
    }
    if job.method == "dpo":
        accuracy = min(1.0, 0.5 + 0.45 * (1 - math.exp(-3 * progress)) + rng.uniform(-0.02, 0.02))
        metrics["train/rewards/accuracies"] = round(accuracy, 4)
        metrics["train/rewards/margins"] = round(4.0 * progress + rng.uniform(0.0, 0.2), 4)
    if evaluation:
        metrics["eval/loss"] = round(loss * 1.08, 4)
    return metrics
