"""POST/GET /v1/pipelines and cancel, on the real database and Redis (no workers: the stage
jobs are moved on by hand, the way a worker's final write would)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from service.db.engine import create_engine, session_factory
from service.jobs import repository as jobs_repo
from service.jobs.states import JobStatus
from service.pipelines.hooks import on_job_finished
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, dataset_id
from tests.api.test_jobs import queued
from tests.support.data import dpo_rows, jsonl, sft_rows
from tests.support.services import Backing

MODEL = "gpt-4.1-mini-2025-04-14"


def create(client: Client, key: str, **fields: Any) -> Any:
    body = {"model": MODEL, **fields}
    if "dataset_id" not in body:
        body["dataset_id"] = dataset_id(client, key, jsonl(dpo_rows(24)))
    return client.post("/v1/pipelines", json=body, headers=auth(key))


def content(client: Client, key: str, ds: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/datasets/{ds}/content", headers=auth(key))
    assert response.status_code == 200
    return [json.loads(line) for line in response.content.splitlines()]


def test_create_builds_and_stores_the_sft_dataset_and_starts_sft(
    client: Client, keys: Keys, clean: Backing
) -> None:
    source = dataset_id(client, keys.team_a, jsonl(dpo_rows(24)))
    response = create(
        client,
        keys.team_a,
        dataset_id=source,
        sft={"fraction": 0.5, "hyperparameters": {"n_epochs": 2}},
        dpo={"hyperparameters": {"beta": 0.2}},
        suffix="exp",
        seed=42,
        metadata={"owner": "search"},
    )
    assert response.status_code == 202, response.text
    pipeline = response.json()
    assert pipeline["id"].startswith("pl_")
    assert (pipeline["status"], pipeline["dataset_id"], pipeline["model"]) == (
        "running_sft",
        source,
        MODEL,
    )
    assert pipeline["sft"] == {"fraction": 0.5, "hyperparameters": {"n_epochs": 2}}
    assert pipeline["dpo"] == {"hyperparameters": {"beta": 0.2}}
    assert (pipeline["suffix"], pipeline["seed"], pipeline["metadata"]) == (
        "exp",
        42,
        {"owner": "search"},
    )
    assert pipeline["dpo_job_id"] is None and pipeline["fine_tuned_model"] is None
    assert pipeline["error"] is None and pipeline["failed_stage"] is None
    h = auth(keys.team_a)
    sft = client.get(f"/v1/datasets/{pipeline['sft_dataset_id']}", headers=h).json()
    assert (sft["kind"], sft["examples"], sft["report"]["valid"]) == ("sft", 12, True)
    rows = content(client, keys.team_a, sft["id"])
    prompts = {row["input"]["messages"][0]["content"]: row for row in dpo_rows(24)}
    for row in rows:
        user, assistant = row["messages"]
        assert assistant == prompts[user["content"]]["preferred_output"][0]
    job = client.get(f"/v1/jobs/{pipeline['sft_job_id']}", headers=h).json()
    assert (job["method"], job["model"], job["training_dataset_id"]) == ("sft", MODEL, sft["id"])
    assert (job["pipeline_id"], job["hyperparameters"], job["suffix"]) == (
        pipeline["id"],
        {"n_epochs": 2},
        "exp",
    )
    assert (job["seed"], job["metadata"]) == (42, {"owner": "search"})
    assert queued(clean) == [("workers.tasks.advance_job", [job["id"]])]
    assert client.get(f"/v1/pipelines/{pipeline['id']}", headers=h).json() == pipeline


def test_the_same_request_reuses_the_sft_dataset_and_another_seed_picks_others(
    client: Client, keys: Keys
) -> None:
    source = dataset_id(client, keys.team_a, jsonl(dpo_rows(40)))
    fields: dict[str, Any] = {"dataset_id": source, "sft": {"fraction": 0.5}}
    first = create(client, keys.team_a, **fields, seed=1).json()
    again = create(client, keys.team_a, **fields, seed=1).json()
    other = create(client, keys.team_a, **fields, seed=2).json()
    assert first["id"] != again["id"]
    assert first["sft_dataset_id"] == again["sft_dataset_id"] != other["sft_dataset_id"]
    assert content(client, keys.team_a, first["sft_dataset_id"]) != content(
        client, keys.team_a, other["sft_dataset_id"]
    )
    whole = create(client, keys.team_a, dataset_id=source).json()  # fraction 1: every example
    assert len(content(client, keys.team_a, whole["sft_dataset_id"])) == 40


def test_tools_are_carried_into_the_sft_rows(client: Client, keys: Keys) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    rows = dpo_rows(12)
    for row in rows:
        row["input"]["tools"] = tools
    pipeline = create(client, keys.team_a, dataset_id=dataset_id(client, keys.team_a, jsonl(rows)))
    assert pipeline.status_code == 202, pipeline.text
    stored = content(client, keys.team_a, pipeline.json()["sft_dataset_id"])
    assert all(row["tools"] == tools for row in stored)


def test_fewer_than_ten_examples_is_422_naming_the_numbers(
    client: Client, keys: Keys, clean: Backing
) -> None:
    source = dataset_id(client, keys.team_a, jsonl(dpo_rows(24)))
    problem = assert_problem(
        create(client, keys.team_a, dataset_id=source, sft={"fraction": 0.25}), 422
    )
    assert problem["errors"] == [
        {
            "code": "too_few_examples",
            "path": "/sft/fraction",
            "message": "the SFT stage needs at least 10 examples, but a fraction of 0.25 of the "
            f"24 examples in {source} is 6",
        }
    ]
    assert client.get("/v1/pipelines", headers=auth(keys.team_a)).json()["data"] == []
    assert queued(clean) == []


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"sft": {"fraction": 0}}, "/sft/fraction"),
        ({"sft": {"fraction": 1.5}}, "/sft/fraction"),
        ({"sft": {"hyperparameters": {"beta": 0.1}}}, "/sft/hyperparameters/beta"),
        ({"dpo": {"hyperparameters": {"beta": 5}}}, "/dpo/hyperparameters/beta"),
        ({"model": "gpt-2"}, "/model"),
        ({"suffix": "x" * 65}, "/suffix"),
        ({"dataset_id": "ds_01JD0000000000000000000000"}, "/dataset_id"),
    ],
)
def test_invalid_requests_are_422_and_write_nothing(
    client: Client, keys: Keys, clean: Backing, fields: dict[str, Any], path: str
) -> None:
    problem = assert_problem(create(client, keys.team_a, **fields), 422)
    assert path in [error["path"] for error in problem["errors"]]
    assert client.get("/v1/pipelines", headers=auth(keys.team_a)).json()["data"] == []
    assert client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"] == []
    kinds = [
        d["kind"] for d in client.get("/v1/datasets", headers=auth(keys.team_a)).json()["data"]
    ]
    assert "sft" not in kinds
    assert queued(clean) == []


def test_the_dataset_must_be_a_dpo_dataset(client: Client, keys: Keys) -> None:
    problem = assert_problem(
        create(client, keys.team_a, dataset_id=_upload_sft(client, keys.team_a)), 422
    )
    assert (problem["errors"][0]["code"], problem["errors"][0]["path"]) == (
        "dataset_kind_mismatch",
        "/dataset_id",
    )


def _upload_sft(client: Client, key: str) -> str:
    response = client.post(
        "/v1/datasets",
        content=jsonl(sft_rows(12)),
        params={"kind": "sft"},
        headers=auth(key) | {"Content-Type": "application/jsonl"},
    )
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def test_a_plain_sft_job_on_an_sft_dataset(client: Client, keys: Keys, clean: Backing) -> None:
    """POST /v1/jobs with method sft works on its own, outside any pipeline."""
    sft = _upload_sft(client, keys.team_a)
    response = create_job(client, keys.team_a, method="sft", training_dataset_id=sft)
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["method"], job["status"], job["pipeline_id"]) == ("sft", "pending", None)
    assert queued(clean) == [("workers.tasks.advance_job", [job["id"]])]


def test_list_filters_by_status_and_pages(client: Client, keys: Keys, clean: Backing) -> None:
    source = dataset_id(client, keys.team_a, jsonl(dpo_rows(24)))
    ids = [create(client, keys.team_a, dataset_id=source).json()["id"] for _ in range(3)]
    h = auth(keys.team_a)
    assert [p["id"] for p in client.get("/v1/pipelines", headers=h).json()["data"]] == ids[::-1]
    first = client.get("/v1/pipelines", params={"limit": 2}, headers=h).json()
    rest = client.get(
        "/v1/pipelines", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h
    ).json()
    assert [p["id"] for p in first["data"] + rest["data"]] == ids[::-1]
    assert rest["next_cursor"] is None
    sft_job = client.get(f"/v1/pipelines/{ids[1]}", headers=h).json()["sft_job_id"]
    asyncio.run(finish_job(clean.database_url, sft_job, JobStatus.CANCELLED))
    cancelled = client.get("/v1/pipelines", params={"status": "cancelled"}, headers=h).json()
    assert [p["id"] for p in cancelled["data"]] == [ids[1]]
    running = client.get(
        "/v1/pipelines", params={"status": ["running_sft", "running_dpo"]}, headers=h
    ).json()
    assert [p["id"] for p in running["data"]] == [ids[2], ids[0]]
    assert_problem(client.get("/v1/pipelines", params={"cursor": "job_x"}, headers=h), 400)


async def finish_job(
    url: str, job_id: str, status: JobStatus, model: str | None = None, **error: str
) -> None:
    """A worker's final write for the job: its status, then the hooks, in one transaction."""
    engine = create_engine(url, pooled=False)
    async with session_factory(engine).begin() as session:
        job = await jobs_repo.get(session, job_id, for_update=True)
        assert job is not None
        values = {"status": status, "fine_tuned_model": model, "wake_at": None, **error}
        assert await jobs_repo.compare_and_set(session, job_id, JobStatus(job.status), **values)
        await session.refresh(job)
        await on_job_finished(session, job)
    await engine.dispose()


def test_stages_follow_their_jobs(client: Client, keys: Keys, clean: Backing) -> None:
    h = auth(keys.team_a)
    pipeline = create(client, keys.team_a, metadata={"run": "7"}).json()
    ft = "ft:gpt-4.1-mini-2025-04-14:org::sft"
    asyncio.run(finish_job(clean.database_url, pipeline["sft_job_id"], JobStatus.SUCCEEDED, ft))
    running = client.get(f"/v1/pipelines/{pipeline['id']}", headers=h).json()
    assert running["status"] == "running_dpo"
    dpo = client.get(f"/v1/jobs/{running['dpo_job_id']}", headers=h).json()
    assert (dpo["model"], dpo["method"], dpo["pipeline_id"]) == (ft, "dpo", pipeline["id"])
    assert (dpo["training_dataset_id"], dpo["metadata"]) == (pipeline["dataset_id"], {"run": "7"})
    asyncio.run(
        finish_job(
            clean.database_url,
            dpo["id"],
            JobStatus.FAILED,
            error_code="server_error",
            error_message="The job failed due to an internal error.",
        )
    )
    failed = client.get(f"/v1/pipelines/{pipeline['id']}", headers=h).json()
    assert (failed["status"], failed["failed_stage"]) == ("failed", "dpo")
    assert failed["error"] == {
        "code": "server_error",
        "message": "The job failed due to an internal error.",
    }
    assert failed["finished_at"] is not None
    assert_problem(client.post(f"/v1/pipelines/{pipeline['id']}/cancel", headers=h), 409)


def test_cancel_marks_the_pipeline_and_cancels_the_running_stage(
    client: Client, keys: Keys, clean: Backing
) -> None:
    h = auth(keys.team_a)
    pipeline = create(client, keys.team_a).json()
    for _ in range(2):  # idempotent
        response = client.post(f"/v1/pipelines/{pipeline['id']}/cancel", headers=h)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "running_sft"
        assert response.json()["cancel_requested_at"] is not None
    sft_job = client.get(f"/v1/jobs/{pipeline['sft_job_id']}", headers=h).json()
    assert sft_job["status"] == "cancelling"
    assert queued(clean)[-1] == ("workers.tasks.advance_job", [sft_job["id"]])
    # OpenAI finished the job before the cancel reached it: the mark still wins.
    ft = "ft:gpt-4.1-mini-2025-04-14:org::sft"
    asyncio.run(finish_job(clean.database_url, sft_job["id"], JobStatus.SUCCEEDED, ft))
    done = client.get(f"/v1/pipelines/{pipeline['id']}", headers=h).json()
    assert (done["status"], done["dpo_job_id"], done["fine_tuned_model"]) == (
        "cancelled",
        None,
        None,
    )
    assert len(client.get("/v1/jobs", headers=h).json()["data"]) == 1
    assert_problem(client.post(f"/v1/pipelines/{pipeline['id']}/cancel", headers=h), 409)


def test_cancel_during_dpo_cancels_the_dpo_job(client: Client, keys: Keys, clean: Backing) -> None:
    h = auth(keys.team_a)
    pipeline = create(client, keys.team_a).json()
    ft = "ft:gpt-4.1-mini-2025-04-14:org::sft"
    asyncio.run(finish_job(clean.database_url, pipeline["sft_job_id"], JobStatus.SUCCEEDED, ft))
    dpo_job = client.get(f"/v1/pipelines/{pipeline['id']}", headers=h).json()["dpo_job_id"]
    response = client.post(f"/v1/pipelines/{pipeline['id']}/cancel", headers=h)
    assert (response.status_code, response.json()["status"]) == (202, "running_dpo")
    assert client.get(f"/v1/jobs/{dpo_job}", headers=h).json()["status"] == "cancelling"
    asyncio.run(finish_job(clean.database_url, dpo_job, JobStatus.CANCELLED))
    assert client.get(f"/v1/pipelines/{pipeline['id']}", headers=h).json()["status"] == (
        "cancelled"
    )


def test_an_idempotency_key_makes_a_retry_replay_the_first_pipeline(
    client: Client, keys: Keys, clean: Backing
) -> None:
    body = {"model": MODEL, "dataset_id": dataset_id(client, keys.team_a, jsonl(dpo_rows(24)))}
    headers = auth(keys.team_a) | {"Idempotency-Key": "pipeline-1"}
    first = client.post("/v1/pipelines", json=body, headers=headers)
    again = client.post("/v1/pipelines", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert len(client.get("/v1/pipelines", headers=auth(keys.team_a)).json()["data"]) == 1
    assert len(queued(clean)) == 1  # a replay enqueues nothing
    changed = client.post("/v1/pipelines", json=body | {"suffix": "x"}, headers=headers)
    assert_problem(changed, 422)


def test_another_teams_pipelines_are_404_and_admin_sees_all(client: Client, keys: Keys) -> None:
    pipeline = create(client, keys.team_a).json()
    for method, path in [
        ("GET", f"/v1/pipelines/{pipeline['id']}"),
        ("POST", f"/v1/pipelines/{pipeline['id']}/cancel"),
    ]:
        assert_problem(client.request(method, path, headers=auth(keys.team_b)), 404)
    other = create(client, keys.team_b, dataset_id=pipeline["dataset_id"])
    assert assert_problem(other, 422)["errors"][0]["path"] == "/dataset_id"
    assert client.get("/v1/pipelines", headers=auth(keys.team_b)).json()["data"] == []
    admin = client.get("/v1/pipelines", headers=auth(keys.admin)).json()["data"]
    assert [p["id"] for p in admin] == [pipeline["id"]]
    assert client.get(f"/v1/pipelines/{pipeline['id']}", headers=auth(keys.admin)).is_success


@pytest.mark.parametrize(
    "body",
    [
        b'{"model": "gpt-4o-2024-08-06"}',
        b'{"dataset_id": "ds_x", "model": "m", "sft": {"fraction": 0.5, "colour": 1}}',
        b'{"dataset_id": "ds_x", "model": "m", "sft": {"fraction": "half"}}',
    ],
    ids=["missing-field", "unknown-field", "wrong-type"],
)
def test_malformed_bodies_are_400(client: Client, keys: Keys, body: bytes) -> None:
    response = client.post(
        "/v1/pipelines",
        content=body,
        headers=auth(keys.team_a) | {"Content-Type": "application/json"},
    )
    assert_problem(response, 400)


def test_the_openapi_schema_documents_pipelines(client: Client) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path in (
        "/v1/pipelines",
        "/v1/pipelines/{pipeline_id}",
        "/v1/pipelines/{pipeline_id}/cancel",
    ):
        assert path in schema["paths"]
    fields = schema["components"]["schemas"]["PipelineOut"]["properties"]
    assert {"sft_job_id", "dpo_job_id", "fine_tuned_model", "failed_stage", "error"} <= set(fields)


def test_a_dataset_an_unfinished_pipeline_needs_cannot_be_deleted(
    client: Client, keys: Keys, clean: Backing
) -> None:
    h = auth(keys.team_a)
    pipeline = create(client, keys.team_a).json()
    dpo_dataset = pipeline["dataset_id"]
    # While SFT runs no job uses the DPO dataset yet; the pipeline's DPO stage will.
    problem = assert_problem(client.delete(f"/v1/datasets/{dpo_dataset}", headers=h), 409)
    assert "pipeline" in problem["detail"]
    asyncio.run(finish_job(clean.database_url, pipeline["sft_job_id"], JobStatus.CANCELLED))
    assert client.get(f"/v1/pipelines/{pipeline['id']}", headers=h).json()["status"] == (
        "cancelled"
    )
    assert client.delete(f"/v1/datasets/{dpo_dataset}", headers=h).status_code == 204
