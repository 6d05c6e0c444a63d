"""`trainingType` on job create: Azure's three tiers in any letter case, a default, and a 400
naming the field for anything else."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.emulators.helpers import RunningEmulator
from tests.emulators.openai_compat.helpers import dpo_job, dpo_row, upload

ROWS = [dpo_row(index) for index in range(10)]


def _training_type(job: Any) -> Any:
    assert job.model_extra is not None
    return job.model_extra.get("trainingType")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Standard", "standard"),
        ("GlobalStandard", "globalstandard"),
        ("Developer", "developer"),
        ("developer", "developer"),
        ("GLOBALSTANDARD", "globalstandard"),
    ],
)
def test_each_tier_in_any_case_is_kept_and_returned(
    azure: openai.OpenAI, sent: str, kept: str
) -> None:
    created = dpo_job(azure, upload(azure, ROWS), extra_body={"trainingType": sent})
    assert _training_type(created) == kept
    assert _training_type(azure.fine_tuning.jobs.retrieve(created.id)) == kept
    assert [_training_type(job) for job in azure.fine_tuning.jobs.list().data] == [kept]


def test_absent_is_globalstandard(azure: openai.OpenAI, emulator: RunningEmulator) -> None:
    created = dpo_job(azure, upload(azure, ROWS))
    assert _training_type(created) == "globalstandard"
    assert emulator.state()["azure"]["job_list"][0]["trainingType"] == "globalstandard"


@pytest.mark.parametrize("bad", ["Provisioned", "", "global standard", 1, True, ["developer"]])
def test_anything_else_is_a_400_naming_it(
    azure: openai.OpenAI, emulator: RunningEmulator, bad: Any
) -> None:
    training = upload(azure, ROWS)
    with pytest.raises(openai.BadRequestError) as info:
        dpo_job(azure, training, extra_body={"trainingType": bad})

    assert info.value.param == "trainingType"
    assert info.value.type == "invalid_request_error"
    assert "standard, globalstandard, developer" in info.value.message
    assert emulator.state()["azure"]["jobs"] == 0


def test_openai_refuses_the_field(client: openai.OpenAI) -> None:
    """Azure's own field: OpenAI's flavor does not know it."""
    with pytest.raises(openai.BadRequestError) as info:
        dpo_job(client, upload(client, ROWS), extra_body={"trainingType": "Developer"})
    assert info.value.param == "trainingType"
    assert "Unrecognized request argument" in info.value.message
