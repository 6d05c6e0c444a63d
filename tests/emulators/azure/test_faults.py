"""Fault injection on Azure's routes, worded as Azure words it; the key is checked first."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.emulators.azure.helpers import ACCESS_DENIED, AZURE_PATH, azure_client
from tests.emulators.helpers import RunningEmulator
from tests.emulators.openai_compat.helpers import dpo_job, dpo_row, upload

ROWS = [dpo_row(index) for index in range(10)]


def test_429_is_azures_with_retry_after(azure: openai.OpenAI, emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429"], retry_after_seconds=2.0)
    with pytest.raises(openai.RateLimitError) as info:
        azure.fine_tuning.jobs.list()

    assert info.value.response.headers["retry-after"] == "2"
    assert info.value.response.headers["retry-after-ms"] == "2000"
    assert info.value.body is not None
    assert isinstance(info.value.body, dict)
    assert info.value.body["code"] == "429"
    assert "exceeded call rate limit" in info.value.body["message"]
    assert "Please retry after 2 seconds." in info.value.body["message"]
    assert set(info.value.body) == {"code", "message"}  # Azure's envelope, not OpenAI's
    assert emulator.state()["faults_injected"] == {"429": 1}


def test_the_sdk_retries_azures_429s(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429"], retry_after_seconds=0.01)
    with azure_client(emulator, max_retries=2) as sdk, pytest.raises(openai.RateLimitError):
        sdk.files.list()
    assert emulator.state()["faults_injected"] == {"429": 3}


def test_daily_429_tells_the_sdk_not_to_retry(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429_daily"])
    with azure_client(emulator, max_retries=2) as sdk, pytest.raises(openai.RateLimitError) as info:
        sdk.files.list()
    assert info.value.response.headers["x-should-retry"] == "false"
    assert emulator.state()["faults_injected"] == {"429_daily": 1}


@pytest.mark.parametrize(
    ("fault", "code"), [("500", "InternalServerError"), ("503", "ServiceUnavailable")]
)
def test_server_errors(
    azure: openai.OpenAI, emulator: RunningEmulator, fault: str, code: str
) -> None:
    emulator.set(fault_rate=1.0, faults=[fault])
    with pytest.raises(openai.InternalServerError) as info:
        azure.files.list()
    assert info.value.status_code == int(fault)
    assert isinstance(info.value.body, dict)
    assert info.value.body["code"] == code


def test_drop_after_create_commits_the_job(azure: openai.OpenAI, emulator: RunningEmulator) -> None:
    training = upload(azure, ROWS)
    emulator.set(fault_rate=1.0, faults=["drop"])
    with pytest.raises(openai.APIConnectionError):
        dpo_job(azure, training, seed=11)
    emulator.set(fault_rate=0.0)

    jobs = azure.fine_tuning.jobs.list().data
    assert [(job.training_file, job.seed) for job in jobs] == [(training, 11)]


def test_slow_answers_still_answer(azure: openai.OpenAI, emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["slow"], slow_seconds=0.05)
    assert azure.files.list().data == []
    assert emulator.state()["faults_injected"] == {"slow": 1}


def test_the_key_is_checked_before_any_fault(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["500"])
    response = httpx.get(f"{emulator.url}{AZURE_PATH}/files", headers={"api-key": "wrong"})

    assert response.status_code == 401
    assert response.json() == ACCESS_DENIED
    assert emulator.state()["faults_injected"] == {}


def test_training_not_available_is_openais_alone(
    azure: openai.OpenAI, emulator: RunningEmulator
) -> None:
    emulator.set(training_not_available=True)
    job = dpo_job(azure, upload(azure, ROWS))
    assert job.status == "validating_files"
