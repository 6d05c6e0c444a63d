"""Per-provider verdicts through the API: the upload and the dataset say whether each
configured provider would take the file and why not, and a job or pipeline on a dataset its
provider would refuse is a 422 before anything is written or uploaded."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import update

from service.db.engine import create_engine, session_factory
from service.db.models import Dataset
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import JSONL, assert_problem, create_job, upload
from tests.api.test_jobs import queued
from tests.support.data import dpo_rows, jsonl
from tests.support.services import Backing

PARTS_LINE = 3  # its preferred output's content is a list of text parts


def _rows_with_parts() -> list[dict[str, Any]]:
    rows = dpo_rows(12)
    output = rows[PARTS_LINE - 1]["preferred_output"][0]
    output["content"] = [{"type": "text", "text": output["content"]}]
    return rows


def _stored(client: Client, key: str) -> dict[str, Any]:
    response = upload(client, key, jsonl(_rows_with_parts()))
    assert response.status_code == 201, response.text  # text parts are valid generically
    body: dict[str, Any] = response.json()
    return body


def test_the_upload_says_which_configured_provider_refuses_which_line(
    client: Client, keys: Keys
) -> None:
    dataset = _stored(client, keys.team_a)
    expected = {
        "openai": {
            "accepted": False,
            "problems_total": 1,
            "problems": [
                {
                    "line": PARTS_LINE,
                    "path": "/preferred_output/0/content",
                    "message": "content must be a string, not a list of parts",
                }
            ],
        }
    }
    # Only OpenAI is configured here: Azure's verdict is computed, and not shown.
    assert dataset["providers"] == expected
    assert dataset["report"]["providers"] == expected
    again = client.get(f"/v1/datasets/{dataset['id']}", headers=auth(keys.team_a))
    assert again.json()["providers"] == expected
    listed = client.get("/v1/datasets", headers=auth(keys.team_a)).json()["data"]
    assert listed[0]["providers"] == expected


def test_validate_shows_the_configured_providers_verdicts(client: Client, keys: Keys) -> None:
    response = client.post(
        "/v1/datasets/validate",
        content=jsonl(dpo_rows(12)),
        headers=auth(keys.team_a) | JSONL,
    )
    assert response.status_code == 200, response.text
    assert response.json()["providers"] == {
        "openai": {"accepted": True, "problems_total": 0, "problems": []}
    }


def test_a_job_on_a_dataset_its_provider_refuses_is_a_422_naming_the_line(
    client: Client, keys: Keys, clean: Backing
) -> None:
    dataset = _stored(client, keys.team_a)
    refused = create_job(client, keys.team_a, training_dataset_id=dataset["id"], provider="openai")
    body = assert_problem(refused, 422)
    assert body["errors"] == [
        {
            "code": "dataset_refused_by_provider",
            "message": f"openai refuses line {PARTS_LINE} at /preferred_output/0/content of "
            f"dataset {dataset['id']}: content must be a string, not a list of parts",
            "line": PARTS_LINE,
            "path": "/training_dataset_id",
        }
    ]
    assert queued(clean) == []
    assert client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"] == []


def test_a_refused_validation_dataset_names_its_own_field(client: Client, keys: Keys) -> None:
    dataset = _stored(client, keys.team_a)
    refused = create_job(client, keys.team_a, validation_dataset_id=dataset["id"])
    errors = assert_problem(refused, 422)["errors"]
    assert [(e["path"], e["line"]) for e in errors] == [("/validation_dataset_id", PARTS_LINE)]


def test_a_pipeline_on_a_refused_dataset_is_a_422_on_dataset_id(client: Client, keys: Keys) -> None:
    dataset = _stored(client, keys.team_a)
    refused = client.post(
        "/v1/pipelines",
        json={"model": "gpt-4.1-mini-2025-04-14", "dataset_id": dataset["id"]},
        headers=auth(keys.team_a),
    )
    errors = assert_problem(refused, 422)["errors"]
    assert [(e["code"], e["path"], e["line"]) for e in errors] == [
        ("dataset_refused_by_provider", "/dataset_id", PARTS_LINE)
    ]


def test_a_dataset_stored_before_verdicts_is_left_to_the_provider(
    client: Client, keys: Keys, clean: Backing
) -> None:
    dataset = _stored(client, keys.team_a)
    asyncio.run(_forget_verdicts(clean.database_url, dataset["id"]))
    shown = client.get(f"/v1/datasets/{dataset['id']}", headers=auth(keys.team_a)).json()
    assert shown["providers"] is None
    created = create_job(client, keys.team_a, training_dataset_id=dataset["id"])
    assert created.status_code == 202, created.text


async def _forget_verdicts(database_url: str, dataset_id: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            row = await session.get(Dataset, dataset_id)
            assert row is not None
            report = {k: v for k, v in row.report.items() if k != "providers"}
            await session.execute(
                update(Dataset).where(Dataset.id == dataset_id).values(report=report)
            )
    finally:
        await engine.dispose()
