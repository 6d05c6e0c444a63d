"""The Azure adapter over HTTP against the emulator's Azure world: the `api-key` header (never a
bearer token), trainingType, no metadata sent, and our job found again by file, model and seed."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import pytest

from service.emulators.config import EmulatorConfig
from service.providers.azure import AzureOpenAIProvider, fingerprint_seed
from service.providers.base import JobSpec, ProviderError
from tests.emulators.helpers import RunningEmulator, serve
from tests.support.data import dpo_rows, jsonl

KEY = "azure-test-key"
MODEL = "gpt-4.1-mini-2025-04-14"


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with serve(EmulatorConfig(phase_seconds=0.05, seed=3, azure_api_key=KEY)) as running:
        yield running


def provider(emulator: RunningEmulator, key: str = KEY) -> AzureOpenAIProvider:
    return AzureOpenAIProvider(endpoint=emulator.url, api_key=key, token_provider=None, timeout=10)


def spec(training_file: str, our_id: str = "job_01", seed: int | None = None) -> JobSpec:
    return JobSpec(
        our_id=our_id,
        model=MODEL,
        training_file=training_file,
        method="dpo",
        hyperparameters={"beta": 0.1, "training_type": "developer"},
        metadata={"team": "x"},
        seed=seed,
    )


async def upload(azure: AzureOpenAIProvider) -> str:
    body = jsonl(dpo_rows(12))
    return await azure.upload_file("ds_1.jsonl", io.BytesIO(body), len(body))


def test_a_job_is_created_with_its_training_tier_and_found_again(
    emulator: RunningEmulator,
) -> None:
    emulator.reset()

    async def scenario() -> None:
        azure = provider(emulator)
        try:
            training = await upload(azure)
            created = await azure.create_job(spec(training))
            assert created.seed == fingerprint_seed("job_01")  # no seed given: ours, derived
            assert created.metadata == {}  # nothing sent there, nothing relied on
            raw = emulator.state()["azure"]["job_list"][0]
            assert raw["trainingType"] == "developer"
            assert [job.id for job in await azure.find_jobs(spec(training))] == [created.id]
            # Another of our jobs on the same file and model has another seed: not a match.
            assert await azure.find_jobs(spec(training, our_id="job_02")) == []
            assert await azure.find_file("ds_1.jsonl") == training
        finally:
            await azure.close()

    asyncio.run(scenario())


def test_a_wrong_key_is_a_permanent_401(emulator: RunningEmulator) -> None:
    async def scenario() -> None:
        azure = provider(emulator, key="wrong")
        try:
            with pytest.raises(ProviderError) as refused:
                await azure.list_jobs(None, 10)
            assert (refused.value.status, refused.value.retryable) == (401, True)
        finally:
            await azure.close()

    asyncio.run(scenario())
