"""The model catalogue through the SDK (`model_limits`) and on the wire (`models/supported`)."""

from __future__ import annotations

import httpx
import pytest
import together
from together import Together

from service.emulators.together.models import CATALOGUE, limits_json
from tests.emulators.helpers import RunningEmulator
from tests.emulators.together.helpers import KEY, MODEL, PATH


def test_the_sdk_reads_the_limits(sdk: Together) -> None:
    limits = sdk.fine_tuning.model_limits(model_name=MODEL)
    assert limits.api_model_name == MODEL
    assert (limits.lora_training.max_batch_size_dpo, limits.lora_training.default_rank) == (32, 64)
    assert limits.full_training is not None
    assert limits.full_training.max_batch_size_dpo == 16
    assert (limits.max_learning_rate, limits.max_seq_length_dpo) == (1.0, 65536)


def test_a_model_without_full_training(sdk: Together) -> None:
    limits = sdk.fine_tuning.model_limits(model_name="openai/gpt-oss-20b")
    assert limits.full_training is None
    assert limits.supports_full_training is False


def test_an_unknown_model_is_a_404_with_a_message(sdk: Together) -> None:
    with pytest.raises(together.NotFoundError) as info:
        sdk.fine_tuning.model_limits(model_name="acme/nope")
    assert isinstance(info.value.body, dict)
    assert set(info.value.body) == {"message"}


def test_the_supported_models(emulator: RunningEmulator) -> None:
    response = httpx.get(
        f"{emulator.url}{PATH}/v1/fine-tunes/models/supported",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert response.json() == {"models": sorted(CATALOGUE)}


def test_the_models_differ_in_their_limits() -> None:
    shapes = {
        (
            spec.lora.max_batch_size_dpo,
            spec.max_learning_rate,
            spec.max_seq_length_dpo,
            spec.full is None,
        )
        for spec in CATALOGUE.values()
    }
    assert len(shapes) == len(CATALOGUE)
    assert {name for name, spec in CATALOGUE.items() if spec.full is None} == {"openai/gpt-oss-20b"}
    assert all(limits_json(spec)["model_name"] == name for name, spec in CATALOGUE.items())
