"""GET /v1/providers and a job's provider on the real database: what each provider takes, the
default that moves on when OpenAI closes (the clock is set, not the calendar), and the 422s a
job gets up front, with nothing written."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient
from pydantic import SecretStr

from service.api.app import create_app
from service.config import Settings
from service.db.engine import create_engine, session_factory
from service.jobs import provider_models_repository
from service.providers.limits import BatchLimits, ModelLimits
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, dataset_id
from tests.support.services import Backing

BEFORE = datetime(2026, 12, 3, tzinfo=UTC)
AFTER_OPENAI = datetime(2027, 1, 7, tzinfo=UTC)
AZURE = {
    "azure_openai_endpoint": "http://127.0.0.1:9",
    "azure_openai_api_key": SecretStr("azure-test-key"),
}


def client_at(settings: Settings, when: datetime, **changes: Any) -> Iterator[Client]:
    with TestClient(create_app(settings.model_copy(update=changes), clock=lambda: when)) as client:
        yield client


@pytest.fixture
def with_azure(settings: Settings) -> Iterator[Client]:
    yield from client_at(settings, BEFORE, **AZURE)


@pytest.fixture
def after_openai(settings: Settings) -> Iterator[Client]:
    yield from client_at(settings, AFTER_OPENAI, **AZURE)


def providers(client: Client, key: str) -> dict[str, Any]:
    response = client.get("/v1/providers", headers=auth(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_each_provider_says_what_it_takes(client: Client, keys: Keys) -> None:
    body = providers(client, keys.team_a)
    by_name = {p["name"]: p for p in body["data"]}
    assert body["default_provider"] == "openai"
    openai, azure = by_name["openai"], by_name["azure"]
    assert (openai["configured"], azure["configured"]) == (True, False)
    assert azure["settings"][0] == "FTJOBS_AZURE_OPENAI_ENDPOINT"
    assert openai["capabilities"]["pause_resume"] is True
    assert openai["end_dates"]["no_new_jobs_from"] == "2027-01-06"
    assert openai["end_dates"]["takes_new_jobs"] is True
    assert "gpt-4.1-mini-2025-04-14" in openai["models"]["dpo"]
    beta = next(h for h in openai["hyperparameters"] if h["name"] == "beta")
    assert (beta["methods"], beta["minimum"], beta["maximum"]) == (["dpo"], 0, 2)
    assert beta["exclusive_minimum"] is True
    training_type = next(h for h in azure["hyperparameters"] if h["name"] == "training_type")
    assert training_type["choices"] == ["standard", "globalstandard", "developer"]
    assert azure["suffix"] == {"max_length": 18, "characters": "letters, digits, - and _"}


def test_the_default_moves_on_when_openai_closes(after_openai: Client, keys: Keys) -> None:
    body = providers(after_openai, keys.team_a)
    assert body["default_provider"] == "azure"
    openai = next(p for p in body["data"] if p["name"] == "openai")
    assert openai["end_dates"]["takes_new_jobs"] is False
    accepted = create_job(after_openai, keys.team_a)  # names no provider
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["provider"] == "azure"
    refused = create_job(after_openai, keys.team_a, provider="openai")
    problem = assert_problem(refused, 422)
    [error] = problem["errors"]
    assert (error["code"], error["path"]) == ("provider_ended", "/provider")
    assert "2027-01-06" in error["message"]


def test_a_job_on_azure_is_listed_and_filtered(with_azure: Client, keys: Keys) -> None:
    training = dataset_id(with_azure, keys.team_a)
    azure = create_job(
        with_azure,
        keys.team_a,
        training_dataset_id=training,
        provider="azure",
        hyperparameters={"training_type": "developer", "beta": 0.1},
        suffix="prefs-v2",
    )
    assert azure.status_code == 202, azure.text
    job = azure.json()
    assert (job["provider"], job["provider_job_id"], job["openai_job_id"]) == ("azure", None, None)
    assert create_job(with_azure, keys.team_a, training_dataset_id=training).status_code == 202
    listed = with_azure.get("/v1/jobs?provider=azure", headers=auth(keys.team_a)).json()["data"]
    assert [j["id"] for j in listed] == [job["id"]]
    stats = with_azure.get("/v1/stats", headers=auth(keys.team_a)).json()
    assert stats["jobs"]["by_provider"] == {"azure": 1, "openai": 1}


@pytest.mark.parametrize(
    ("fields", "code", "path", "words"),
    [
        ({"provider": "fireworks"}, "unknown_provider", "/provider", "known: openai, azure"),
        ({"provider": "azure"}, "provider_not_configured", "/provider", "AZURE_OPENAI_ENDPOINT"),
        ({"model": "gpt-4.1-nano-2025-04-14"}, "unsupported_model", "/model", "gpt-4.1-2025"),
        (
            {"hyperparameters": {"training_type": "standard"}},
            "unknown_hyperparameter",
            "/hyperparameters/training_type",
            "OpenAI has no hyperparameter",
        ),
    ],
)
def test_a_job_its_provider_would_refuse_is_422_and_writes_nothing(
    client: Client, keys: Keys, fields: dict[str, Any], code: str, path: str, words: str
) -> None:
    training = dataset_id(client, keys.team_a)
    problem = assert_problem(
        create_job(client, keys.team_a, training_dataset_id=training, **fields), 422
    )
    [error] = problem["errors"]
    assert (error["code"], error["path"]) == (code, path)
    assert words in error["message"]
    assert client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"] == []


def test_an_azure_suffix_follows_azures_rule(with_azure: Client, keys: Keys) -> None:
    problem = assert_problem(
        create_job(with_azure, keys.team_a, provider="azure", suffix="my.suffix"), 422
    )
    assert [(e["code"], e["path"]) for e in problem["errors"]] == [("invalid_suffix", "/suffix")]


def test_a_pipeline_runs_both_stages_at_its_provider(with_azure: Client, keys: Keys) -> None:
    source = dataset_id(with_azure, keys.team_a)
    body = {"dataset_id": source, "model": "gpt-4.1-mini-2025-04-14", "provider": "azure"}
    created = with_azure.post("/v1/pipelines", json=body, headers=auth(keys.team_a))
    assert created.status_code == 202, created.text
    pipeline = created.json()
    assert pipeline["provider"] == "azure"
    sft = with_azure.get(f"/v1/jobs/{pipeline['sft_job_id']}", headers=auth(keys.team_a)).json()
    assert (sft["provider"], sft["method"]) == ("azure", "sft")
    # A base Azure tunes with SFT only could never reach its DPO stage: refused up front.
    nano = body | {"model": "gpt-4.1-nano-2025-04-14"}
    problem = assert_problem(
        with_azure.post("/v1/pipelines", json=nano, headers=auth(keys.team_a)), 422
    )
    assert [(e["code"], e["path"]) for e in problem["errors"]] == [("unsupported_model", "/model")]


def test_together_shows_the_registrys_models_until_its_own_list_was_read(
    settings: Settings, keys: Keys, clean: Backing
) -> None:
    with TestClient(
        create_app(
            settings.model_copy(update={"together_api_key": SecretStr("tg-key")}),
            clock=lambda: BEFORE,
        )
    ) as client:
        together = next(
            p for p in providers(client, keys.team_a)["data"] if p["name"] == "together"
        )
        assert together["configured"] and together["models_source"] == "registry"
        assert together["model_limits"] is None and "Qwen/Qwen3-8B" in together["models"]["dpo"]
        assert (
            "absolute learning_rate"
            in together["refused_hyperparameters"]["learning_rate_multiplier"]
        )
        batch = next(h for h in together["hyperparameters"] if h["name"] == "batch_size")
        assert (batch["keywords"], batch["default"]) == (["max"], "max")
        asyncio.run(_list(clean.database_url))
        together = next(
            p for p in providers(client, keys.team_a)["data"] if p["name"] == "together"
        )
        assert together["models_source"] == "provider"
        assert together["models"] == {"dpo": [LIMITS.model], "sft": [LIMITS.model]}
        assert together["model_limits"][LIMITS.model]["lora"]["max_batch_size_dpo"] == 16


LIMITS = ModelLimits(
    model="acme/tiny-1b",
    max_seq_length_dpo=4096,
    max_seq_length_sft=8192,
    min_learning_rate=0.0,
    max_learning_rate=0.1,
    max_num_epochs=10,
    max_num_checkpoints=5,
    max_num_evals=10,
    lora=BatchLimits(1, 32, 16),
    lora_max_rank=32,
    full=None,
)


async def _list(database_url: str) -> None:
    engine = create_engine(database_url, pooled=False)
    async with session_factory(engine).begin() as session:
        await provider_models_repository.replace(session, "together", [LIMITS], datetime.now(UTC))
    await engine.dispose()
