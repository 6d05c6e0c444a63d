"""A provider's own model list on the real database: refreshed by a worker, then the job
request is checked against it (models, limits, the datasets' longest example) before anything
is written; until it was read, the registry's list stands in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from service.db.models import Job
from service.errors import ServiceError
from service.jobs import provider_models, provider_models_repository
from service.jobs import service as jobs
from service.jobs.runtime import Runtime
from service.providers.base import ProviderError
from service.providers.limits import BatchLimits, ModelLimits
from service.providers.registry import TOGETHER, Destination
from tests.jobs.fakes import FakeProvider
from tests.jobs.world import LEASE, run
from tests.support.records import ready_dataset
from tests.support.services import Backing

GEMMA = ModelLimits(
    model="google/gemma-3-4b-it",
    max_seq_length_dpo=1000,
    max_seq_length_sft=2000,
    min_learning_rate=0.0,
    max_learning_rate=0.1,
    max_num_epochs=20,
    max_num_checkpoints=20,
    max_num_evals=100,
    lora=BatchLimits(8, 128, 64),
    lora_max_rank=64,
    full=None,
)
TOGETHER_JOBS = Destination(TOGETHER)


async def request(rt: Runtime, longest: int = 10, **fields: Any) -> None:
    """A Together job request for a dataset whose longest example has `longest` tokens."""
    async with rt.sessions.begin() as session:
        dataset = ready_dataset()
        dataset.report = {
            "stats": {
                "tokens_counted": True,
                "max_sequence_tokens": longest,
                "max_sequence_line": 4,
                # Both outputs: more than any one sequence, never what is checked.
                "max_example_tokens": longest * 2,
                "max_example_line": 9,
            }
        }
        session.add(dataset)
        await session.flush()
        body = {"training_dataset_id": dataset.id, "model": GEMMA.model, "provider": "together"}
        job = jobs.JobRequest(**(body | fields))
        await jobs.create(session, "t", job, lease=LEASE, destination=TOGETHER_JOBS)


def refused(rt: Runtime, **fields: Any) -> Any:
    async def attempt() -> list[Any]:
        with pytest.raises(ServiceError) as raised:
            await request(rt, **fields)
        assert raised.value.status == 422
        return [(e.path, e.line, e.message) for e in raised.value.errors]

    return attempt()


def test_the_list_read_by_a_worker_decides_what_a_job_may_ask(
    clean: Backing, tmp_path: Path
) -> None:
    provider = FakeProvider(models=[GEMMA])

    async def scenario(rt: Runtime) -> None:
        # Not listed yet: gemma is not in the registry's fallback list.
        [(path, _, _)] = await refused(rt)
        assert path == "/model"
        assert await provider_models.refresh(rt) == {"openai": 1}  # (the fake is named openai)
        async with rt.sessions() as session:
            listing = await provider_models_repository.listing(session, "openai")
        assert listing is not None and listing.models == {GEMMA.model: GEMMA}

    run(clean, tmp_path, provider, scenario)


def test_a_job_beyond_the_models_limits_is_a_422_naming_the_field(
    clean: Backing, tmp_path: Path
) -> None:
    async def scenario(rt: Runtime) -> None:
        async with rt.sessions.begin() as session:
            await provider_models_repository.replace(
                session, "together", [GEMMA], datetime.now(UTC)
            )
        await request(rt, hyperparameters={"batch_size": 64})  # within: written
        [(path, _, message)] = await refused(rt, hyperparameters={"batch_size": 65})
        assert path == "/hyperparameters/batch_size"
        assert (
            message == "google/gemma-3-4b-it takes at most 64 examples per DPO batch with "
            "LoRA, got 65"
        )
        [(path, line, message)] = await refused(rt, longest=1001)
        assert (path, line) == ("/training_dataset_id", 4)
        assert "has an example of 1001 tokens" in message and "at most 1000" in message
        [(path, _, message)] = await refused(rt, model="Qwen/Qwen3-8B")  # not in its list
        assert path == "/model" and message.endswith("it tunes google/gemma-3-4b-it")
        async with rt.sessions() as session:
            written = (await session.scalars(select(Job.hyperparameters))).all()
        assert written == [{"batch_size": 64}]  # the refused requests wrote nothing

    run(clean, tmp_path, FakeProvider(), scenario)


def test_a_provider_that_fails_keeps_its_last_list(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider(models=[GEMMA])

    async def scenario(rt: Runtime) -> None:
        await provider_models.refresh(rt)
        provider.models = None  # (a provider with a static list writes nothing)
        assert await provider_models.refresh(rt) == {}

        async def broken() -> list[ModelLimits] | None:
            raise ProviderError("down", code="http_503", retryable=True)

        provider.tunable_models = broken  # type: ignore[method-assign]
        assert await provider_models.refresh(rt) == {}
        async with rt.sessions() as session:
            listing = await provider_models_repository.listing(session, "openai")
        assert listing is not None and list(listing.models) == [GEMMA.model]

    run(clean, tmp_path, provider, scenario)


def test_the_longest_sequence_is_the_measured_one_and_older_reports_fall_back() -> None:
    measured = {"max_sequence_tokens": 700, "max_sequence_line": 3, "max_example_tokens": 1200}
    assert provider_models.longest_sequence(measured) == (700, 3)
    older = {"max_example_tokens": 1200, "max_example_line": 8}
    assert provider_models.longest_sequence(older) == (1200, 8)
