"""Fault modes as the SDK experiences them, switched at run time through /_emulator/faults."""

from __future__ import annotations

import time
import uuid

import httpx
import openai
import pytest

from tests.emulators.helpers import RunningEmulator
from tests.emulators.openai_compat.helpers import DPO_MODEL, dpo_job, dpo_row, error_message, upload

ROWS = [dpo_row(index) for index in range(10)]
NOT_AVAILABLE = (
    "OpenAI is winding down the fine-tuning platform and your organization is no longer able to "
    "create new fine-tuning training jobs."
)


def test_training_not_available_is_a_permission_error(
    client: openai.OpenAI, emulator: RunningEmulator
) -> None:
    training = upload(client, ROWS)
    emulator.set(training_not_available=True)
    with pytest.raises(openai.PermissionDeniedError) as info:
        dpo_job(client, training)

    assert info.value.status_code == 403
    assert info.value.code == "training_not_available"
    assert error_message(info.value) == NOT_AVAILABLE
    assert info.value.body == {
        "message": NOT_AVAILABLE,
        "type": "invalid_request_error",
        "param": None,
        "code": "training_not_available",
    }
    assert client.files.list().data  # other endpoints still work
    assert emulator.state()["jobs"] == 0


def test_429_carries_retry_after(client: openai.OpenAI, emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429"])
    with pytest.raises(openai.RateLimitError) as info:
        client.files.list()

    assert info.value.code == "rate_limit_exceeded"
    assert info.value.response.headers["retry-after"] == "1"
    assert info.value.response.headers["retry-after-ms"] == "1000"
    assert "x-request-id" in info.value.response.headers


@pytest.mark.parametrize("fault", ["500", "503"])
def test_server_errors(client: openai.OpenAI, emulator: RunningEmulator, fault: str) -> None:
    emulator.set(fault_rate=1.0, faults=[fault])
    with pytest.raises(openai.InternalServerError) as info:
        client.files.list()
    assert info.value.status_code == int(fault)
    assert emulator.state()["faults_injected"] == {fault: 1}


def test_sdk_retries_injected_429s(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429"], retry_after_seconds=0.01)
    with emulator.client(max_retries=2) as client, pytest.raises(openai.RateLimitError):
        client.files.list()  # the SDK honours retry-after-ms, so this is quick
    assert emulator.state()["faults_injected"] == {"429": 3}  # three attempts


def test_drop_after_create_commits_the_job(
    client: openai.OpenAI, emulator: RunningEmulator
) -> None:
    training = upload(client, ROWS)
    request_id = str(uuid.uuid4())
    emulator.set(fault_rate=1.0, faults=["drop"])
    with pytest.raises(openai.APIConnectionError) as info:
        dpo_job(client, training, metadata={"request_id": request_id})
    emulator.set(fault_rate=0.0)
    found = client.fine_tuning.jobs.list(metadata={"request_id": request_id}).data

    assert not isinstance(info.value, openai.APIStatusError)
    assert len(found) == 1
    assert found[0].model == DPO_MODEL
    assert emulator.state()["jobs"] == 1


def test_drop_elsewhere_has_no_effect(client: openai.OpenAI, emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["drop"])
    with pytest.raises(openai.APIConnectionError):
        client.files.create(file=("train.jsonl", b"{}"), purpose="fine-tune")
    assert emulator.state()["files"] == 0


def test_slow_responses_time_out_then_answer(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["slow"], slow_seconds=0.5)
    with emulator.client(timeout=0.1) as impatient, pytest.raises(openai.APITimeoutError):
        impatient.files.list()
    started = time.monotonic()
    with emulator.client(timeout=5) as patient:
        assert patient.files.list().data == []
    assert time.monotonic() - started >= 0.5


def test_control_endpoints_are_never_faulted(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["500", "drop"])
    for _ in range(5):
        assert emulator.state()["settings"]["fault_rate"] == 1.0


def test_bad_settings_are_rejected(emulator: RunningEmulator) -> None:
    for body in ({"faults": ["teapot"]}, {"fault_rate": 2}, {"unknown": 1}):
        response = httpx.post(f"{emulator.url}/_emulator/faults", json=body)
        assert response.status_code == 400
    assert emulator.state()["settings"]["faults"] == ["429", "500", "503", "slow", "drop"]


def test_reset_forgets_everything(client: openai.OpenAI, emulator: RunningEmulator) -> None:
    dpo_job(client, upload(client, ROWS))
    emulator.set(training_not_available=True)
    emulator.reset()
    state = emulator.state()

    assert (state["files"], state["jobs"]) == (0, 0)
    assert state["settings"]["training_not_available"] is False


def test_state_lists_files_and_jobs(client: openai.OpenAI, emulator: RunningEmulator) -> None:
    training = upload(client, ROWS)
    job = dpo_job(client, training, metadata={"dataset": "ds_1"})
    state = emulator.state()

    assert state["files"] == 1
    assert state["files_by_purpose"] == {"fine-tune": 1}
    assert sum(state["jobs_by_status"].values()) == 1
    assert [f["id"] for f in state["file_list"]] == [training]
    assert state["job_list"][0]["id"] == job.id
    assert state["job_list"][0]["metadata"] == {"dataset": "ds_1"}
