"""POST/GET /v1/jobs, events and cancel, on the real database and Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from service.db.engine import create_engine, session_factory
from service.jobs import repository
from service.jobs.states import JobStatus
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, dataset_id
from tests.support.services import Backing


def queued(backing: Backing) -> list[Any]:
    queue = Queue("ftjobs", connection=Redis.from_url(backing.redis_url), serializer=JSONSerializer)
    return [(job.func_name, job.args) for job in queue.jobs]


def test_create_accepts_writes_and_enqueues(
    client: Client,
    keys: Keys,
    clean: Backing,
) -> None:
    response = create_job(
        client,
        keys.team_a,
        hyperparameters={"beta": 0.2, "n_epochs": 2},
        suffix="exp1",
        seed=7,
        metadata={"owner": "search"},
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["id"].startswith("job_")
    assert (job["status"], job["method"], job["model"]) == (
        "pending",
        "dpo",
        "gpt-4.1-mini-2025-04-14",
    )
    assert job["hyperparameters"] == {"beta": 0.2, "n_epochs": 2}
    assert (job["suffix"], job["seed"], job["metadata"]) == ("exp1", 7, {"owner": "search"})
    assert job["openai_job_id"] is None and job["error"] is None
    assert queued(clean) == [("workers.tasks.advance_job", [job["id"]])]
    read = client.get(f"/v1/jobs/{job['id']}", headers=auth(keys.team_a)).json()
    assert read["status"] == "pending"
    events = client.get(f"/v1/jobs/{job['id']}/events", headers=auth(keys.team_a)).json()
    assert [(e["type"], e["sequence"]) for e in events["data"]] == [("job.pending", 1)]


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"hyperparameters": {"beta": 3}}, "/hyperparameters/beta"),
        ({"hyperparameters": {"n_epochs": 0}}, "/hyperparameters/n_epochs"),
        ({"hyperparameters": {"batch_size": 1000}}, "/hyperparameters/batch_size"),
        (
            {"hyperparameters": {"learning_rate_multiplier": -1}},
            "/hyperparameters/learning_rate_multiplier",
        ),
        ({"model": "gpt-2"}, "/model"),
        ({"training_dataset_id": "ds_01JD0000000000000000000000"}, "/training_dataset_id"),
        ({"suffix": "x" * 65}, "/suffix"),
    ],
)
def test_invalid_requests_are_422_and_write_nothing(
    client: Client,
    keys: Keys,
    clean: Backing,
    fields: dict[str, Any],
    path: str,
) -> None:
    problem = assert_problem(create_job(client, keys.team_a, **fields), 422)
    assert path in [error["path"] for error in problem["errors"]]
    assert client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"] == []
    assert queued(clean) == []


def test_beta_is_only_for_dpo_and_datasets_must_match_the_method(
    client: Client,
    keys: Keys,
) -> None:
    sft = dataset_id(client, keys.team_a)  # a dpo dataset
    problem = assert_problem(
        create_job(client, keys.team_a, method="sft", training_dataset_id=sft), 422
    )
    assert problem["errors"][0]["code"] == "dataset_kind_mismatch"
    problem = assert_problem(
        create_job(client, keys.team_a, method="sft", hyperparameters={"beta": 0.1}), 422
    )
    assert "/hyperparameters/beta" in [e["path"] for e in problem["errors"]]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"model": "gpt-4o-2024-08-06"}',
        b'{"training_dataset_id": "ds_x", "model": "m", "colour": "red"}',
        b'{"training_dataset_id": 5, "model": "m"}',
        b"[]",
    ],
    ids=["malformed", "missing-field", "unknown-field", "wrong-type", "not-an-object"],
)
def test_malformed_bodies_are_400(client: Client, keys: Keys, body: bytes) -> None:
    response = client.post(
        "/v1/jobs", content=body, headers=auth(keys.team_a) | {"Content-Type": "application/json"}
    )
    assert_problem(response, 400)


def test_list_filters_and_pages(client: Client, keys: Keys) -> None:
    ds = dataset_id(client, keys.team_a)
    ids = [
        create_job(
            client, keys.team_a, training_dataset_id=ds, metadata={"run": str(i % 2)}
        ).json()["id"]
        for i in range(3)
    ]
    h = auth(keys.team_a)
    assert [j["id"] for j in client.get("/v1/jobs", headers=h).json()["data"]] == ids[::-1]
    by_meta = client.get("/v1/jobs", params={"metadata[run]": "0"}, headers=h).json()["data"]
    assert [j["id"] for j in by_meta] == [ids[2], ids[0]]
    assert (
        client.get("/v1/jobs", params={"status": ["running", "failed"]}, headers=h).json()["data"]
        == []
    )
    both = client.get("/v1/jobs", params={"status": ["pending", "running"]}, headers=h).json()
    assert len(both["data"]) == 3
    assert client.get("/v1/jobs", params={"dataset_id": ds}, headers=h).json()["data"]
    first = client.get("/v1/jobs", params={"limit": 2}, headers=h).json()
    rest = client.get(
        "/v1/jobs", params={"limit": 2, "cursor": first["next_cursor"]}, headers=h
    ).json()
    assert [j["id"] for j in first["data"] + rest["data"]] == ids[::-1]
    assert rest["next_cursor"] is None


def test_every_list_filter_narrows_and_teams_see_their_own(client: Client, keys: Keys) -> None:
    ds = dataset_id(client, keys.team_a)
    ids = [create_job(client, keys.team_a, training_dataset_id=ds).json()["id"] for _ in range(2)]
    h = auth(keys.team_a)

    def listed(key: str = keys.team_a, **params: Any) -> list[str]:
        response = client.get("/v1/jobs", params=params, headers=auth(key))
        assert response.status_code == 200, response.text
        return [job["id"] for job in response.json()["data"]]

    future, past = "2999-01-01T00:00:00Z", "2000-01-01T00:00:00Z"
    assert listed(model="gpt-4.1-mini-2025-04-14") == ids[::-1]
    assert listed(model="gpt-4o-mini-2024-07-18") == []
    assert listed(created_after=past, created_before=future) == ids[::-1]
    assert listed(created_after=future) == [] and listed(created_before=past) == []
    assert listed(dataset_id="ds_01JD0000000000000000000000") == []
    assert listed(status="pending", dataset_id=ds, **{"metadata[none]": "x"}) == []
    assert listed(keys.team_b) == []
    assert listed(keys.admin) == ids[::-1]  # admin keys see every team
    bad = client.get("/v1/jobs", params={"created_after": "yesterday"}, headers=h)
    assert_problem(bad, 400)


def test_cancel_is_idempotent_and_409_once_finished(
    client: Client,
    keys: Keys,
    clean: Backing,
) -> None:
    job_id = create_job(client, keys.team_a).json()["id"]
    h = auth(keys.team_a)
    for _ in range(2):
        response = client.post(f"/v1/jobs/{job_id}/cancel", headers=h)
        assert (response.status_code, response.json()["status"]) == (202, "cancelling")
    events = client.get(f"/v1/jobs/{job_id}/events", headers=h).json()["data"]
    assert [e["type"] for e in events] == ["job.pending", "job.cancelling"]
    asyncio.run(
        _force_status(clean.database_url, job_id, JobStatus.CANCELLING, JobStatus.CANCELLED)
    )
    assert_problem(client.post(f"/v1/jobs/{job_id}/cancel", headers=h), 409)


async def _force_status(url: str, job_id: str, current: JobStatus, target: JobStatus) -> None:
    engine = create_engine(url, pooled=False)
    async with session_factory(engine).begin() as session:
        assert await repository.compare_and_set(session, job_id, current, status=target)
    await engine.dispose()


def test_pause_and_resume_need_the_right_status(client: Client, keys: Keys, clean: Backing) -> None:
    job_id = create_job(client, keys.team_a).json()["id"]
    h = auth(keys.team_a)
    assert (
        "only a running job"
        in assert_problem(client.post(f"/v1/jobs/{job_id}/pause", headers=h), 409)["detail"]
    )
    assert_problem(client.post(f"/v1/jobs/{job_id}/resume", headers=h), 409)
    asyncio.run(_force_status(clean.database_url, job_id, JobStatus.PENDING, JobStatus.RUNNING))
    for _ in range(2):  # asking twice is one request
        paused = client.post(f"/v1/jobs/{job_id}/pause", headers=h)
        assert (paused.status_code, paused.json()["requested_action"]) == (202, "pause")
    events = client.get(f"/v1/jobs/{job_id}/events", headers=h).json()["data"]
    assert [e["message"] for e in events].count("Pause requested") == 1
