"""Fault injection on Together's routes, worded as Together words it, and the ambiguous
failures (the effect happens, the connection drops) on upload and create: what a retry then
finds is the same file and one job, never a duplicate."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import together
from together import Together

from tests.emulators.helpers import RunningEmulator
from tests.emulators.together.helpers import (
    KEY,
    MODEL,
    PATH,
    announce,
    dpo_row,
    error_of,
    jsonl,
    together_client,
    together_state,
    upload,
    write,
)

ROWS = [dpo_row(index) for index in range(4)]


def test_429_says_when_to_retry(sdk: Together, emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429"], retry_after_seconds=2.0)
    with pytest.raises(together.RateLimitError) as info:
        sdk.fine_tuning.list()

    assert info.value.response.headers["retry-after"] == "2"
    assert info.value.response.headers["retry-after-ms"] == "2000"
    assert error_of(info.value)["type"] == "rate_limit_exceeded"
    assert "retry after 2 seconds" in error_of(info.value)["message"]
    assert emulator.state()["faults_injected"] == {"429": 1}


def test_the_sdk_retries_429s(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429"], retry_after_seconds=0.01)
    with together_client(emulator, max_retries=2) as sdk, pytest.raises(together.RateLimitError):
        sdk.files.list()
    assert emulator.state()["faults_injected"] == {"429": 3}


def test_the_daily_429_tells_the_sdk_not_to_retry(emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["429_daily"])
    with together_client(emulator, max_retries=2) as sdk, pytest.raises(together.RateLimitError):
        sdk.files.list()
    assert emulator.state()["faults_injected"] == {"429_daily": 1}


@pytest.mark.parametrize(
    ("fault", "kind"), [("500", "server_error"), ("503", "service_unavailable")]
)
def test_server_errors(sdk: Together, emulator: RunningEmulator, fault: str, kind: str) -> None:
    emulator.set(fault_rate=1.0, faults=[fault])
    with pytest.raises(together.InternalServerError) as info:
        sdk.fine_tuning.list()
    assert info.value.status_code == int(fault)
    assert error_of(info.value)["type"] == kind


def test_faults_reach_the_upload_url_too(emulator: RunningEmulator) -> None:
    location = announce(emulator, jsonl(ROWS)).headers["Location"]
    emulator.set(fault_rate=1.0, faults=["503"])
    assert httpx.put(location, content=jsonl(ROWS)).status_code == 503
    emulator.set(fault_rate=0.0)
    assert together_state(emulator)["files_uploaded"] == 0


def test_a_dropped_announce_then_a_retry_make_one_file(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.set(fault_rate=1.0, faults=["drop"])
    with pytest.raises(together.APIConnectionError):
        sdk.files.upload(write(tmp_path, ROWS), purpose="fine-tune")
    emulator.set(fault_rate=0.0)
    assert together_state(emulator)["files"] == 1  # announced, its bytes never sent

    retried = sdk.files.upload(write(tmp_path, ROWS), purpose="fine-tune")

    state = together_state(emulator)
    assert (state["files"], state["files_uploaded"]) == (1, 1)
    assert retried.id == state["file_list"][0]["id"]


def test_a_dropped_put_then_a_retry_find_the_bytes(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    announced = announce(emulator, jsonl(ROWS))
    emulator.set(fault_rate=1.0, faults=["drop"])
    with pytest.raises(httpx.HTTPError):
        httpx.put(announced.headers["Location"], content=jsonl(ROWS))
    emulator.set(fault_rate=0.0)

    retried = sdk.files.upload(write(tmp_path, ROWS), purpose="fine-tune")  # a 409 inside

    assert retried.id == announced.headers["X-Together-File-Id"]
    assert together_state(emulator)["files"] == 1
    assert sdk.files.content(retried.id).read() == jsonl(ROWS)


def test_a_dropped_create_still_creates_the_job_once(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    training = upload(sdk, tmp_path, ROWS)
    emulator.set(fault_rate=1.0, faults=["drop"])
    with pytest.raises(httpx.HTTPError):
        httpx.post(
            f"{emulator.url}{PATH}/v1/fine-tunes",
            json={"training_file": training, "model": MODEL, "random_seed": 11},
            headers={"Authorization": f"Bearer {KEY}"},
        )
    emulator.set(fault_rate=0.0)

    jobs = sdk.fine_tuning.list().data
    assert [(job.training_file, job.random_seed) for job in jobs] == [(training, 11)]


def test_slow_answers_still_answer(sdk: Together, emulator: RunningEmulator) -> None:
    emulator.set(fault_rate=1.0, faults=["slow"], slow_seconds=0.05)
    assert sdk.fine_tuning.list().data == []
    assert emulator.state()["faults_injected"] == {"slow": 1}
