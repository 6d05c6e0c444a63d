"""Idempotency-Key on POST /v1/jobs and POST /v1/datasets: replay, conflict, in flight, release."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import text

from service.api.schemas import JobCreate
from service.db.engine import create_engine, session_factory
from service.idempotency import service as idempotency
from service.idempotency.service import KeyRequest, Policy
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import JSONL, assert_problem, dataset_id
from tests.api.test_jobs import queued
from tests.support.data import dpo_rows, jsonl
from tests.support.services import Backing

MODEL = "gpt-4.1-mini-2025-04-14"


def post_job(client: Client, key: str, body: dict[str, Any], idem: str | None) -> Any:
    headers = auth(key) | ({"Idempotency-Key": idem} if idem is not None else {})
    return client.post("/v1/jobs", json=body, headers=headers)


def post_dataset(client: Client, key: str, body: bytes, idem: str, **params: str) -> Any:
    headers = auth(key) | JSONL | {"Idempotency-Key": idem}
    return client.post("/v1/datasets", content=body, headers=headers, params=params)


def sql(backing: Backing, statement: str, **params: Any) -> Any:
    async def run() -> Any:
        engine = create_engine(backing.database_url, pooled=False)
        async with engine.begin() as connection:
            result = await connection.execute(text(statement), params)
            rows = result.all() if result.returns_rows else None
        await engine.dispose()
        return rows

    return asyncio.run(run())


def test_same_key_and_body_replays_the_first_response_and_creates_one_job(
    client: Client, keys: Keys, clean: Backing
) -> None:
    body = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    first = post_job(client, keys.team_a, body, "k-1")
    assert first.status_code == 202, first.text
    assert "idempotent-replayed" not in first.headers
    # Same body with its keys in another order is the same request.
    again = post_job(client, keys.team_a, dict(reversed(body.items())), "k-1")
    assert again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    jobs = client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"]
    assert [job["id"] for job in jobs] == [first.json()["id"]]
    assert queued(clean) == [("workers.tasks.advance_job", [first.json()["id"]])]


def test_same_key_with_another_body_is_422(client: Client, keys: Keys) -> None:
    body = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    assert post_job(client, keys.team_a, body, "k-2").status_code == 202
    problem = assert_problem(post_job(client, keys.team_a, body | {"seed": 1}, "k-2"), 422)
    assert "different request" in problem["detail"]


def test_keys_belong_to_a_team(client: Client, keys: Keys) -> None:
    body_a = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    body_b = {"training_dataset_id": dataset_id(client, keys.team_b), "model": MODEL}
    first = post_job(client, keys.team_a, body_a, "shared")
    other = post_job(client, keys.team_b, body_b, "shared")
    assert (first.status_code, other.status_code) == (202, 202)
    assert "idempotent-replayed" not in other.headers
    assert first.json()["id"] != other.json()["id"]


def test_a_failed_first_request_releases_the_key(client: Client, keys: Keys) -> None:
    missing = {"training_dataset_id": "ds_01JD0000000000000000000000", "model": MODEL}
    assert_problem(post_job(client, keys.team_a, missing, "k-3"), 422)
    fixed = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    response = post_job(client, keys.team_a, fixed, "k-3")
    assert response.status_code == 202, response.text
    assert "idempotent-replayed" not in response.headers


def _claim(backing: Backing, team: str, key: str, body: dict[str, Any]) -> None:
    """A first request that is still running: its claim is committed, its work is not."""

    async def run() -> None:
        engine = create_engine(backing.database_url, pooled=False)
        async with session_factory(engine).begin() as session:
            decoded = msgspec.convert(body, JobCreate)
            fingerprint = idempotency.fingerprint("POST", "/v1/jobs", decoded)
            request = KeyRequest(team, key, "POST", "/v1/jobs", fingerprint)
            policy = Policy(ttl=timedelta(hours=1), lock_timeout=timedelta(minutes=15))
            assert (await idempotency.claim(session, request, policy)).token
        await engine.dispose()

    asyncio.run(run())


def test_while_the_first_request_is_in_flight_a_retry_is_409(
    client: Client, keys: Keys, clean: Backing
) -> None:
    body = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    _claim(clean, "team-a", "k-4", body)
    assert (
        "in progress" in assert_problem(post_job(client, keys.team_a, body, "k-4"), 409)["detail"]
    )
    assert client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"] == []
    # The holder died: once its lock is older than the timeout, the next request takes over.
    sql(clean, "UPDATE idempotency_keys SET locked_at = now() - interval '1 hour'")
    assert post_job(client, keys.team_a, body, "k-4").status_code == 202


def test_an_expired_key_is_forgotten(client: Client, keys: Keys, clean: Backing) -> None:
    body = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    first = post_job(client, keys.team_a, body, "k-5").json()["id"]
    sql(clean, "UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    second = post_job(client, keys.team_a, body, "k-5")
    assert second.status_code == 202 and "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first


def test_without_a_key_every_post_creates(client: Client, keys: Keys) -> None:
    body = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    ids = {post_job(client, keys.team_a, body, None).json()["id"] for _ in range(2)}
    assert len(ids) == 2


def test_a_malformed_key_is_400(client: Client, keys: Keys) -> None:
    body = {"training_dataset_id": dataset_id(client, keys.team_a), "model": MODEL}
    problem = assert_problem(post_job(client, keys.team_a, body, "x" * 256), 400)
    assert problem["errors"][0]["code"] == "invalid_idempotency_key"


def test_upload_replays_by_the_bytes_digest_and_options(client: Client, keys: Keys) -> None:
    data = jsonl(dpo_rows())
    first = post_dataset(client, keys.team_a, data, "up-1", name="prefs")
    assert first.status_code == 201, first.text
    again = post_dataset(client, keys.team_a, data, "up-1", name="prefs")
    assert (again.status_code, again.headers["idempotent-replayed"]) == (201, "true")
    assert again.content == first.content
    assert_problem(post_dataset(client, keys.team_a, data, "up-1", name="other"), 422)
    assert_problem(
        post_dataset(client, keys.team_a, jsonl(dpo_rows(13)), "up-1", name="prefs"), 422
    )


def test_multipart_upload_with_a_key(client: Client, keys: Keys) -> None:
    files = {"file": ("d.jsonl", jsonl(dpo_rows()), "application/jsonl")}
    headers = auth(keys.team_a) | {"Idempotency-Key": "mp-1"}
    first = client.post("/v1/datasets", files=files, data={"name": "mp"}, headers=headers)
    again = client.post("/v1/datasets", files=files, data={"name": "mp"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true" and again.content == first.content


def test_an_invalid_upload_releases_the_key(client: Client, keys: Keys) -> None:
    assert_problem(post_dataset(client, keys.team_a, b'{"nope": 1}\n', "up-2"), 422)
    assert post_dataset(client, keys.team_a, jsonl(dpo_rows()), "up-2").status_code == 201
