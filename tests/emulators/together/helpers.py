"""Reaching the emulator's Together account as the service does: the `together` SDK with
`base_url=f"{emulator}/together"` (its own paths start with `/v1`) and a bearer key; rows,
files and waits for the tests."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import httpx
from together import Together
from together.lib.types.fine_tuning import FinetuneResponse as CreatedJob
from together.types import FinetuneResponse

from tests.emulators.helpers import ManualClock, RunningEmulator
from tests.emulators.rows import dpo_row as dpo_row  # (re-exported for the tests)
from tests.emulators.rows import jsonl as jsonl
from tests.emulators.rows import sft_row as sft_row

KEY = "together-emulator-key"  # EmulatorConfig's default
PATH = "/together"
MODEL = "meta-llama/Meta-Llama-3.1-8B-Instruct-Reference"
ENDED = ("completed", "cancelled", "error", "user_error")
PHASE = 10.0  # seconds per phase on a hand-driven clock


def together_client(emulator: RunningEmulator, key: str = KEY, **options: Any) -> Together:
    options.setdefault("max_retries", 0)
    return Together(api_key=key, base_url=f"{emulator.url}{PATH}", **options)


def write(directory: Path, rows: list[dict[str, Any]], name: str = "train.jsonl") -> Path:
    path = directory / name
    path.write_bytes(jsonl(rows))
    return path


def upload(
    client: Together, directory: Path, rows: list[dict[str, Any]], name: str = "train.jsonl"
) -> str:
    return client.files.upload(write(directory, rows, name), purpose="fine-tune").id


def dpo_job(client: Together, training_file: str, **extra: Any) -> CreatedJob:
    extra.setdefault("model", MODEL)
    extra.setdefault("training_method", "dpo")
    return client.fine_tuning.create(training_file=training_file, **extra)


def wait_for(
    client: Together, job_id: str, statuses: tuple[str, ...] = ENDED, timeout: float = 10
) -> FinetuneResponse:
    deadline = time.monotonic() + timeout
    while True:
        job = client.fine_tuning.retrieve(job_id)
        if job.status in statuses:
            return job
        assert time.monotonic() < deadline, f"job {job_id} stuck in {job.status}"
        time.sleep(0.02)


def together_state(emulator: RunningEmulator) -> dict[str, Any]:
    """Together's part of `GET /_emulator/state`."""
    part: dict[str, Any] = emulator.state()["together"]
    return part


def control(emulator: RunningEmulator, path: str, body: dict[str, Any]) -> httpx.Response:
    """`POST /_emulator/together/<path>`: the controls Together's tests use."""
    return httpx.post(f"{emulator.url}/_emulator/together/{path}", json=body)


def error_of(exc: Any) -> dict[str, Any]:
    """The `error` object of an SDK exception's body (Together's envelope)."""
    assert isinstance(exc.body, dict), exc.body
    error: dict[str, Any] = exc.body["error"]
    return error


def announce(
    emulator: RunningEmulator, content: bytes, name: str = "train.jsonl", **form: str
) -> httpx.Response:
    """`POST /together/v1/files` as the SDK's UploadManager sends it (redirects not followed)."""
    fields = {
        "purpose": "fine-tune",
        "file_name": name,
        "file_type": "jsonl",
        "checksum": hashlib.sha256(content).hexdigest(),
        **form,
    }
    return httpx.post(
        f"{emulator.url}{PATH}/v1/files",
        data=fields,
        headers={"Authorization": f"Bearer {KEY}"},
        follow_redirects=False,
    )


def create_raw(emulator: RunningEmulator, body: dict[str, Any]) -> httpx.Response:
    """`POST /together/v1/fine-tunes` without the SDK's own checks, to reach the server's."""
    return httpx.post(
        f"{emulator.url}{PATH}/v1/fine-tunes",
        json=body,
        headers={"Authorization": f"Bearer {KEY}"},
    )


class Manual:
    """An emulator on a hand-driven clock, with an SDK client on its Together account."""

    def __init__(self, emulator: RunningEmulator, clock: ManualClock, sdk: Together) -> None:
        self.emulator = emulator
        self.clock = clock
        self.sdk = sdk

    def after(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def status(self, job_id: str) -> str:
        status = self.sdk.fine_tuning.retrieve(job_id).status
        assert status is not None
        return status


def wait_until(manual: Manual, job_id: str, status: str, step: float = PHASE / 4) -> None:
    """Move the hand-driven clock on until the job shows `status`."""
    for _ in range(40):
        if manual.status(job_id) == status:
            return
        manual.after(step)
    raise AssertionError(f"{job_id} never reached {status}")
