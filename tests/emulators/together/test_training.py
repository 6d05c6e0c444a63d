"""The step plan and the metrics of a pretend run (no server, no clock)."""

from __future__ import annotations

from typing import Any

from service.emulators.together.pricing import Estimate
from service.emulators.together.records import JobRecord
from service.emulators.together.training import metrics_at, plan_training


def _job(**changes: Any) -> JobRecord:
    fields: dict[str, Any] = {
        "id": "ft-1",
        "created_at": 0.0,
        "model": "Qwen/Qwen3-8B",
        "training_file": "file-t",
        "validation_file": None,
        "method": "dpo",
        "training_method": {"method": "dpo"},
        "training_type": {"type": "Lora"},
        "n_epochs": 1,
        "n_checkpoints": 1,
        "n_evals": 0,
        "batch_size": 8,
        "learning_rate": 1e-5,
        "suffix": None,
        "random_seed": None,
        "output_name": "acct/Qwen3-8B-abc",
        "quote": Estimate(0, 0, 0.0),
        **changes,
    }
    return JobRecord(**fields)


def test_steps_are_batches_times_epochs() -> None:
    plan = plan_training(_job(n_epochs=3), examples=20, max_metrics=50)
    assert (plan.steps_per_epoch, plan.total_steps) == (3, 9)
    assert [m.step for m in plan.milestones] == list(range(1, 10))
    assert [m.step for m in plan.milestones if m.epoch_complete] == [3, 6, 9]
    assert [m.last for m in plan.milestones].count(True) == 1
    assert plan.milestones[-1].fraction == 1.0


def test_one_checkpoint_is_the_final_model_alone() -> None:
    plan = plan_training(_job(n_checkpoints=1), examples=80, max_metrics=50)
    assert [m.step for m in plan.milestones if m.checkpoint] == []


def test_more_checkpoints_are_spread_before_the_end() -> None:
    plan = plan_training(_job(n_checkpoints=4), examples=80, max_metrics=50)
    assert [m.step for m in plan.milestones if m.checkpoint] == [3, 5, 8]


def test_evaluations_need_a_validation_file() -> None:
    without = plan_training(_job(n_evals=2), examples=80, max_metrics=50)
    with_file = plan_training(
        _job(n_evals=2, validation_file="file-v"), examples=80, max_metrics=50
    )
    assert [m.step for m in without.milestones if m.evaluation] == []
    assert [m.step for m in with_file.milestones if m.evaluation] == [5, 10]


def test_a_short_run_logs_every_step_and_a_long_one_a_sample() -> None:
    short = plan_training(_job(), examples=24, max_metrics=5)
    long = plan_training(_job(), examples=800, max_metrics=5)
    assert [m.step for m in short.milestones] == [1, 2, 3]
    assert [m.step for m in long.milestones] == [20, 40, 60, 80, 100]


def test_metrics_are_repeatable_and_fall() -> None:
    job = _job(validation_file="file-v", n_evals=1)
    plan = plan_training(job, examples=800, max_metrics=50)
    first = metrics_at(job, plan, 1, evaluation=False)
    assert first == metrics_at(job, plan, 1, evaluation=False)
    last = metrics_at(job, plan, plan.total_steps, evaluation=True)
    assert last["train/loss"] < first["train/loss"]
    assert last["eval/loss"] > last["train/loss"]
    assert set(first) == {
        "train/global_step",
        "train/epoch",
        "train/loss",
        "train/learning_rate",
        "train/rewards/accuracies",
        "train/rewards/margins",
    }
    assert last["train/learning_rate"] < first["train/learning_rate"]


def test_sft_metrics_have_no_rewards() -> None:
    job = _job(method="sft")
    plan = plan_training(job, examples=8, max_metrics=50)
    assert "train/rewards/accuracies" not in metrics_at(job, plan, 1, evaluation=False)
