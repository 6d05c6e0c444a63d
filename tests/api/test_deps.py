"""One commit per request, at the edge: what follows it runs only once it has committed, and what
a request left behind is undone when it does not (a failed commit on the real database)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.deps import AfterCommit
from service.config import Settings
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, dataset_id, upload
from tests.support.data import dpo_rows, jsonl


def test_actions_after_commit_or_rollback_run_once_each() -> None:
    ran: list[str] = []
    after = AfterCommit()
    after.then(ran.append, "enqueue")
    after.undo(ran.append, "delete blob")

    async def failing() -> None:
        raise RuntimeError("redis down")

    after.then(failing)  # logged, and the others still run
    after.then(ran.append, "second")
    asyncio.run(after.committed())
    asyncio.run(after.committed())  # already run: nothing twice
    assert ran == ["enqueue", "second"]
    asyncio.run(after.rolled_back())
    assert ran == ["enqueue", "second", "delete blob"]


def queued(settings: Settings) -> int:
    assert settings.redis_url is not None
    redis = Redis.from_url(settings.redis_url)
    return len(Queue(settings.queue_name, connection=redis, serializer=JSONSerializer))


@pytest.fixture
def failing_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request's commit fails as if the server went away at that moment."""

    async def commit(self: AsyncSession) -> None:
        raise OperationalError("COMMIT", {}, OSError("server closed the connection"))

    monkeypatch.setattr(AsyncSession, "commit", commit)


def test_a_job_is_enqueued_only_after_its_commit(
    client: Client, keys: Keys, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    training = dataset_id(client, keys.team_a)
    accepted = create_job(client, keys.team_a, training_dataset_id=training)
    assert accepted.status_code == 202, accepted.text
    assert queued(settings) == 1

    async def commit(self: AsyncSession) -> None:
        raise OperationalError("COMMIT", {}, OSError("server closed the connection"))

    monkeypatch.setattr(AsyncSession, "commit", commit)
    refused = create_job(client, keys.team_a, training_dataset_id=training)
    assert_problem(refused, 503)
    assert queued(settings) == 1  # the wake-up of a job that never committed was dropped
    monkeypatch.undo()
    listed = client.get("/v1/jobs", headers=auth(keys.team_a)).json()["data"]
    assert [job["id"] for job in listed] == [accepted.json()["id"]]


@pytest.mark.usefixtures("failing_commit")
def test_an_upload_whose_commit_fails_leaves_no_blob_and_no_row(
    client: Client, keys: Keys, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = jsonl(dpo_rows(12))
    headers = {"Idempotency-Key": "upload-1"}
    refused = client.post(
        "/v1/datasets",
        content=body,
        headers=auth(keys.team_a) | headers | {"Content-Type": "application/jsonl"},
    )
    assert_problem(refused, 503)
    assert [p for p in Path(settings.blob_root, "datasets").rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    assert client.get("/v1/datasets", headers=auth(keys.team_a)).json()["data"] == []
    # The key was freed with the rollback: the retry runs (not 409 "in flight") and stores it.
    retried = client.post(
        "/v1/datasets",
        content=body,
        headers=auth(keys.team_a) | headers | {"Content-Type": "application/jsonl"},
    )
    assert retried.status_code == 201, retried.text
    stored = [p for p in Path(settings.blob_root, "datasets").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [body]
    assert upload(client, keys.team_a, body).status_code == 200  # the same bytes, recorded
