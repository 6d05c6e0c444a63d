"""GET /v1/stats, the per-key rate limit and the job event stream, on the real database."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from service.api.app import create_app
from service.api.auth import require_admin
from service.auth.service import Principal
from service.config import Settings
from service.db.engine import create_engine, session_factory
from service.db.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from service.errors import ServiceError
from service.jobs import repository
from service.jobs.repository import NewEvent
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, dataset_id
from tests.api.test_idempotency import sql
from tests.support.services import Backing


def job_ids(client: Client, key: str, count: int) -> list[str]:
    ds = dataset_id(client, key)
    return [create_job(client, key, training_dataset_id=ds).json()["id"] for _ in range(count)]


def finish(backing: Backing, job_id: str, status: str, seconds: int, code: str | None) -> None:
    sql(
        backing,
        "UPDATE jobs SET status = :status, error_code = :code, wake_at = NULL, "
        "finished_at = created_at + make_interval(secs => :seconds) WHERE id = :id",
        status=status,
        code=code,
        seconds=seconds,
        id=job_id,
    )


def test_stats_for_a_team_and_for_admin(client: Client, keys: Keys, clean: Backing) -> None:
    a = job_ids(client, keys.team_a, 3)
    job_ids(client, keys.team_b, 1)
    finish(clean, a[0], "succeeded", 100, None)
    finish(clean, a[1], "failed", 300, "invalid_training_file")
    own = client.get("/v1/stats", headers=auth(keys.team_a)).json()
    assert own["team"] == "team-a"
    assert own["jobs"] == {
        "total": 3,
        "by_status": {"pending": 1, "succeeded": 1, "failed": 1},
        "by_model": {"gpt-4.1-mini-2025-04-14": 3},
        "by_team": {"team-a": 3},
        "by_provider": {"openai": 3},
    }
    assert own["durations"]["all"] == {"count": 2, "p50_seconds": 200.0, "p95_seconds": 290.0}
    assert own["durations"]["succeeded"]["p50_seconds"] == 100.0
    assert own["failures_by_code"] == {"invalid_training_file": 1}
    assert own["oldest_pending_age_seconds"] >= 0
    assert own["queue"] == {"name": "ftjobs", "depth": 4}
    assert own["webhooks"]["success_rate"] is None
    every = client.get("/v1/stats", headers=auth(keys.admin)).json()
    assert every["team"] is None
    assert every["jobs"]["by_team"] == {"team-a": 3, "team-b": 1}
    assert every["jobs"]["by_status"]["pending"] == 2


def add_deliveries(backing: Backing, team: str, outcomes: list[tuple[str, list[int]]]) -> None:
    async def run() -> None:
        engine = create_engine(backing.database_url, pooled=False)
        async with session_factory(engine).begin() as session:
            endpoint = WebhookEndpoint(id=f"we_{team}", team=team, url="https://x", secret="s")
            event = WebhookEvent(id=f"evt_{team}", team=team, type="job.running", data={})
            session.add_all([endpoint, event])
            await session.flush()
            for i, (status, codes) in enumerate(outcomes):
                delivery_id = f"dlv_{team}_{i}"
                session.add(
                    WebhookDelivery(
                        id=delivery_id, endpoint_id=endpoint.id, event_id=event.id, status=status
                    )
                )
                await session.flush()
                for n, code in enumerate(codes):
                    session.add(
                        WebhookAttempt(
                            id=f"att_{team}_{i}_{n}",
                            delivery_id=delivery_id,
                            number=n + 1,
                            started_at=datetime.now(UTC),
                            status_code=code,
                            latency_ms=5,
                        )
                    )
        await engine.dispose()

    asyncio.run(run())


def test_stats_webhook_success_rate(client: Client, keys: Keys, clean: Backing) -> None:
    add_deliveries(
        clean,
        "team-a",
        [("delivered", [500, 200]), ("delivered", [200]), ("failed", [500, 500]), ("pending", [])],
    )
    add_deliveries(clean, "team-b", [("failed", [410])])
    hooks = client.get("/v1/stats", headers=auth(keys.team_a)).json()["webhooks"]
    assert hooks == {
        "deliveries_by_status": {"delivered": 2, "failed": 1, "pending": 1},
        "success_rate": 0.6667,
        "attempts": 5,
        "attempts_succeeded": 2,
        "attempt_success_rate": 0.4,
    }
    every = client.get("/v1/stats", headers=auth(keys.admin)).json()["webhooks"]
    assert every["deliveries_by_status"]["failed"] == 2 and every["success_rate"] == 0.5


@pytest.fixture
def limited(settings: Settings) -> Iterator[Client]:
    tight = settings.model_copy(update={"rate_limit_per_minute": 60, "rate_limit_burst": 3})
    with TestClient(create_app(tight)) as test_client:
        yield test_client


def test_rate_limit_per_key_answers_429_with_retry_after(limited: Client, keys: Keys) -> None:
    for _ in range(3):
        assert limited.get("/v1/jobs", headers=auth(keys.team_a)).status_code == 200
    refused = limited.get("/v1/jobs", headers=auth(keys.team_a))
    assert_problem(refused, 429)
    assert refused.headers["retry-after"] == "1"
    # Buckets are per key.
    assert limited.get("/v1/jobs", headers=auth(keys.team_b)).status_code == 200
    time.sleep(1.1)  # one token a second
    assert limited.get("/v1/jobs", headers=auth(keys.team_a)).status_code == 200


def sse_events(body: str) -> list[dict[str, str]]:
    events = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            if name in ("id", "event", "data"):
                fields[name] = value
        if fields:
            events.append(fields)
    return events


def finish_later(backing: Backing, job_id: str) -> threading.Thread:
    """While the stream is open: two more events, then the job ends."""

    async def run() -> None:
        await asyncio.sleep(0.8)
        engine = create_engine(backing.database_url, pooled=False)
        async with session_factory(engine).begin() as session:
            await repository.add_events(
                session, job_id, [NewEvent("job.running", "running"), NewEvent("x", "step 1")]
            )
            await repository.set_fields(session, job_id, status="succeeded", wake_at=None)
        await engine.dispose()

    thread = threading.Thread(target=asyncio.run, args=(run(),))
    thread.start()
    return thread


def test_event_stream_follows_the_job_to_its_end(
    client: Client, keys: Keys, clean: Backing
) -> None:
    job = job_ids(client, keys.team_a, 1)[0]
    path = f"/v1/jobs/{job}/events/stream"
    thread = finish_later(clean, job)
    response = client.get(path, headers=auth(keys.team_a), timeout=20)
    thread.join()
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert [e.get("id") for e in events] == ["1", "2", "3", None]
    assert '"type":"job.running"' in events[1]["data"]
    assert events[-1]["event"] == "end"
    # Resuming after the last id of a finished job: nothing left, 204 stops EventSource.
    resumed = client.get(path, headers=auth(keys.team_a) | {"Last-Event-ID": "2"})
    assert [e.get("id") for e in sse_events(resumed.text)] == ["3", None]
    done = client.get(path, headers=auth(keys.team_a) | {"Last-Event-ID": "3"})
    assert done.status_code == 204


def test_event_stream_of_another_teams_job_is_404(client: Client, keys: Keys) -> None:
    job = job_ids(client, keys.team_a, 1)[0]
    assert_problem(client.get(f"/v1/jobs/{job}/events/stream", headers=auth(keys.team_b)), 404)
    bad: Any = client.get(
        f"/v1/jobs/{job}/events/stream", headers=auth(keys.team_a) | {"Last-Event-ID": "x"}
    )
    assert_problem(bad, 400)


def test_stats_durations_ignore_unfinished_jobs(client: Client, keys: Keys) -> None:
    job_ids(client, keys.team_a, 1)
    stats = client.get("/v1/stats", headers=auth(keys.team_a)).json()
    assert stats["durations"] == {"all": {"count": 0, "p50_seconds": None, "p95_seconds": None}}
    assert stats["failures_by_code"] == {}
    assert timedelta(seconds=stats["oldest_pending_age_seconds"]) < timedelta(minutes=1)


def test_admin_only_routes_refuse_other_keys_with_403() -> None:
    require_admin(Principal("key_1", "ops", is_admin=True))
    with pytest.raises(ServiceError) as refused:
        require_admin(Principal("key_2", "team-a", is_admin=False))
    assert refused.value.status == 403
