"""Datasets and SDK steps for the OpenAI-compatible API, whichever provider's path serves it: an
`openai.OpenAI` client pointed at OpenAI's `/v1` or at Azure's `/openai/v1/` does the same."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import openai
from openai.types.fine_tuning import FineTuningJob, FineTuningJobEvent

from tests.emulators.rows import dpo_row as dpo_row  # (re-exported for the tests)
from tests.emulators.rows import jsonl as jsonl
from tests.emulators.rows import sft_row as sft_row

DPO_MODEL = "gpt-4.1-mini-2025-04-14"  # tuned with DPO by OpenAI and by Azure alike
TERMINAL = ("succeeded", "failed", "cancelled")


def upload(client: openai.OpenAI, rows: list[dict[str, Any]], name: str = "train.jsonl") -> str:
    return client.files.create(file=(name, jsonl(rows)), purpose="fine-tune").id


def dpo_job(client: openai.OpenAI, training_file: str, **extra: Any) -> FineTuningJob:
    extra.setdefault("model", DPO_MODEL)
    extra.setdefault("method", {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}})
    return client.fine_tuning.jobs.create(training_file=training_file, **extra)


def wait_for(
    client: openai.OpenAI, job_id: str, statuses: tuple[str, ...] = TERMINAL, timeout: float = 10
) -> FineTuningJob:
    deadline = time.monotonic() + timeout
    while True:
        job = client.fine_tuning.jobs.retrieve(job_id)
        if job.status in statuses:
            return job
        assert time.monotonic() < deadline, f"job stuck in {job.status}"
        time.sleep(0.02)


def event_data(event: FineTuningJobEvent) -> dict[str, Any]:
    """The SDK types `data` as a bare object; metrics events carry a dict."""
    assert isinstance(event.data, dict)
    return event.data


def error_message(exc: openai.APIStatusError) -> str:
    """The error's own message (`str(exc)` and `.message` prefix "Error code: N - ")."""
    assert isinstance(exc.body, dict)
    return str(exc.body["message"])


def words(rows: list[dict[str, Any]]) -> int:
    """The emulator's documented token stand-in: whitespace-split tokens of every string."""

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return sum(len(text.split()) for row in rows for text in strings(row))
