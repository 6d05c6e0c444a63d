"""A create body checked on its own (no server): defaults, and the refusals' parameters."""

from __future__ import annotations

from typing import Any

import pytest

from service.emulators.errors import APIError
from service.emulators.together.params import parse_job
from tests.emulators.together.helpers import MODEL


def _nobody(_: str) -> None:
    return None


def _parse(**body: Any) -> Any:
    return parse_job({"training_file": "file-t", "model": MODEL, **body}, _nobody)


def test_defaults() -> None:
    params = _parse()
    assert params.method == "sft"
    assert params.training_method == {"method": "sft", "train_on_inputs": "auto"}
    assert params.training_type["type"] == "Lora"
    assert (params.n_epochs, params.n_checkpoints, params.n_evals) == (1, 1, 0)
    assert (params.batch_size, params.learning_rate) == (64, 1e-5)  # SFT LoRA "max"
    assert params.validation_file is None


def test_the_sdks_empty_validation_file_is_none() -> None:
    assert _parse(validation_file="").validation_file is None


def test_dpo_defaults_and_max_batch() -> None:
    params = _parse(training_method={"method": "dpo", "dpo_beta": None}, batch_size="max")
    assert params.training_method["dpo_beta"] == 0.1
    assert params.batch_size == 32


def test_settings_are_echoed_but_not_the_wandb_key() -> None:
    params = _parse(warmup_ratio=0.1, wandb_key="secret", wandb_project_name="p")
    assert params.settings == {"warmup_ratio": 0.1, "wandb_project_name": "p"}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"training_file": None}, "training_file"),
        ({"validation_file": 3}, "validation_file"),
        ({"from_checkpoint": "ft-x"}, "from_checkpoint"),
        ({"random_seed": "7"}, "random_seed"),
        ({"batch_size": True}, "batch_size"),
        ({"training_method": {"method": "sft", "train_on_inputs": "yes"}}, "train_on_inputs"),
        ({"training_type": {"type": "Lora", "lora_dropout": 1.0}}, "training_type.lora_dropout"),
        ({"training_type": {"type": "Lora", "lora_alpha": 0}}, "training_type.lora_alpha"),
        ({"max_grad_norm": -1}, "max_grad_norm"),
    ],
)
def test_refusals_name_the_parameter(body: dict[str, Any], param: str) -> None:
    with pytest.raises(APIError) as info:
        _parse(**body)
    assert info.value.status == 400
    assert info.value.param == param


def test_from_checkpoint_and_model_together_are_refused() -> None:
    with pytest.raises(APIError) as info:
        parse_job({"training_file": "f", "model": MODEL, "from_checkpoint": "ft-x"}, _nobody)
    assert info.value.param == "from_checkpoint"
