"""A model's limits against a job (pure): each breach named at its field."""

from __future__ import annotations

from typing import Any

import pytest

from service.providers.limits import BatchLimits, ModelLimits, check_length, check_limits

QWEN = ModelLimits(
    model="Qwen/Qwen3-8B",
    max_seq_length_dpo=16384,
    max_seq_length_sft=32768,
    min_learning_rate=0.0,
    max_learning_rate=0.01,
    max_num_epochs=20,
    max_num_checkpoints=20,
    max_num_evals=100,
    lora=BatchLimits(min_batch_size=8, max_batch_size=64, max_batch_size_dpo=32),
    lora_max_rank=128,
    full=BatchLimits(min_batch_size=8, max_batch_size=48, max_batch_size_dpo=24),
)
LORA_ONLY = ModelLimits(**{**QWEN.__dict__, "model": "openai/gpt-oss-20b", "full": None})


def test_a_job_within_the_limits_passes() -> None:
    values = {"batch_size": 32, "learning_rate": 0.001, "n_epochs": 3, "lora_r": 64}
    assert check_limits(QWEN, "dpo", values) == []
    assert check_limits(QWEN, "dpo", {"batch_size": "max"}) == []


def test_the_batch_limit_depends_on_the_method_and_the_training_type() -> None:
    [lora] = check_limits(QWEN, "dpo", {"batch_size": 64})
    assert lora.path == "/hyperparameters/batch_size"
    assert lora.message == "Qwen/Qwen3-8B takes at most 32 examples per DPO batch with LoRA, got 64"
    assert check_limits(QWEN, "sft", {"batch_size": 64}) == []
    [full] = check_limits(QWEN, "dpo", {"batch_size": 32, "training_type": "full"})
    assert "at most 24 examples per DPO batch with full training" in full.message
    [small] = check_limits(QWEN, "dpo", {"batch_size": 4})
    assert "at least 8" in small.message


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"learning_rate": 0.5}, "/hyperparameters/learning_rate"),
        ({"n_epochs": 21}, "/hyperparameters/n_epochs"),
        ({"n_checkpoints": 21}, "/hyperparameters/n_checkpoints"),
        ({"n_evals": 101}, "/hyperparameters/n_evals"),
        ({"lora_r": 256}, "/hyperparameters/lora_r"),
    ],
)
def test_each_limit_is_named_at_its_field(values: dict[str, Any], path: str) -> None:
    assert [error.path for error in check_limits(QWEN, "dpo", values)] == [path]


def test_full_training_on_a_lora_only_model_is_refused() -> None:
    [error] = check_limits(LORA_ONLY, "dpo", {"training_type": "full"})
    assert error.path == "/hyperparameters/training_type" and "LoRA training only" in error.message


def test_the_longest_example_against_the_sequence_length() -> None:
    assert check_length(QWEN, "dpo", 16384, path="/training_dataset_id", where="d") == []
    assert check_length(QWEN, "sft", 20000, path="/training_dataset_id", where="d") == []
    [error] = check_length(
        QWEN, "dpo", 20000, path="/training_dataset_id", where="dataset ds_1 (line 7)", line=7
    )
    assert (error.path, error.line) == ("/training_dataset_id", 7)
    assert "dataset ds_1 (line 7) has an example of 20000 tokens" in error.message
    assert "at most 16384" in error.message


def test_limits_survive_their_json() -> None:
    assert ModelLimits.from_json(QWEN.to_json()) == QWEN
    assert ModelLimits.from_json(LORA_ONLY.to_json()) == LORA_ONLY
