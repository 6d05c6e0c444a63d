"""The console mounted on the API's app in this process (the browser tests run it in a process
of its own): every page answers, behind its session, with the API's team scope and statuses."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pydantic import SecretStr

from service.api.app import create_app
from service.cli.keys import create_key
from service.config import Settings
from service.console.plugin import ConsolePlugin
from service.db.engine import create_engine, session_factory
from service.jobs import transitions
from service.providers.base import ProviderError
from service.wiring import JOB_HOOKS
from tests.support.data import dpo_rows, jsonl
from tests.support.services import Backing

Client = TestClient[Litestar]
HTML = {"Accept": "text/html"}


@pytest.fixture
def settings(clean: Backing, tmp_path: Path) -> Settings:
    return Settings(
        database_url=clean.database_url,
        redis_url=clean.redis_url,
        blob_dir=tmp_path / "blobs",
        openai_api_key=SecretStr("sk-test"),
        console_secure_cookie=False,  # the test client speaks plain http
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    app = create_app(settings, extensions=[ConsolePlugin(settings)])
    with TestClient(app) as test_client:
        yield test_client


def key(backing: Backing, team: str, admin: bool = False) -> str:
    return asyncio.run(create_key(backing.database_url, team, admin, None))[1]


def sign_in(client: Client, api_key: str) -> None:
    form = client.get("/console/login", headers=HTML)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        "/console/login",
        data={"key": api_key, "_csrf_token": token.group(1), "next": "/console/datasets"},
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/datasets"


def test_every_page_of_a_signed_in_team(client: Client, clean: Backing) -> None:
    team_key = key(clean, "team-a")
    bearer = {"Authorization": f"Bearer {team_key}"}
    upload = client.post(
        "/v1/datasets?name=prefs",
        content=jsonl(dpo_rows(12)),
        headers={**bearer, "Content-Type": "application/jsonl"},
    )
    dataset_id = upload.json()["id"]
    job = client.post(
        "/v1/jobs",
        json={"training_dataset_id": dataset_id, "model": "gpt-4.1-mini-2025-04-14"},
        headers=bearer,
    ).json()
    assert client.get("/console/jobs", headers=HTML, follow_redirects=False).status_code == 303

    sign_in(client, team_key)
    jobs = client.get("/console/jobs", headers=HTML)
    assert jobs.status_code == 200 and job["id"] in jobs.text
    assert "no-store" in jobs.headers["cache-control"]
    assert "default-src 'self'" in jobs.headers["content-security-policy"]
    page = client.get(f"/console/jobs/{job['id']}", headers=HTML)
    assert page.status_code == 200
    assert "No loss reported yet" in page.text and "job.pending" in page.text
    assert 'data-finished="false"' in page.text
    live = client.get(f"/console/jobs/{job['id']}/live", headers=HTML)
    assert live.status_code == 200 and 'data-status="pending"' in live.text
    report = client.get(f"/console/datasets/{dataset_id}", headers=HTML)
    assert report.status_code == 200 and "prefs" in report.text
    assert dataset_id in client.get("/console/datasets", headers=HTML).text
    assert "No pipelines yet" in client.get("/console/pipelines", headers=HTML).text
    forbidden = client.get("/console/ops", headers=HTML)
    assert forbidden.status_code == 403 and "admin scope" in forbidden.text
    missing = client.get("/console/pipelines/pl_01J00000000000000000000000", headers=HTML)
    assert missing.status_code == 404 and "<h1>404 · Not found</h1>" in missing.text
    # A client that does not ask for HTML gets the API's problem+json.
    problem = client.get("/console/jobs/job_01J00000000000000000000000")
    assert problem.status_code == 404
    assert problem.headers["content-type"].startswith("application/problem+json")


def test_another_team_sees_none_of_it_and_an_admin_sees_the_ops_page(
    client: Client, clean: Backing
) -> None:
    owner = {"Authorization": f"Bearer {key(clean, 'team-a')}"}
    upload = client.post(
        "/v1/datasets",
        content=jsonl(dpo_rows(12)),
        headers={**owner, "Content-Type": "application/jsonl"},
    )
    dataset_id = upload.json()["id"]
    sign_in(client, key(clean, "team-b"))
    assert client.get(f"/console/datasets/{dataset_id}", headers=HTML).status_code == 404
    assert "No datasets yet" in client.get("/console/datasets", headers=HTML).text
    client.cookies.clear()
    sign_in(client, key(clean, "ops", admin=True))
    ops = client.get("/console/ops", headers=HTML)
    assert ops.status_code == 200 and "Jobs by status" in ops.text
    assert dataset_id in client.get("/console/datasets", headers=HTML).text


def test_sign_out_ends_the_session(client: Client, clean: Backing) -> None:
    sign_in(client, key(clean, "team-a"))
    page = client.get("/console/jobs", headers=HTML)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    out = client.post(
        "/console/logout",
        data={"_csrf_token": token.group(1)},
        headers=HTML,
        follow_redirects=False,
    )
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    assert client.get("/console/jobs", headers=HTML, follow_redirects=False).status_code == 303


def test_a_pipeline_page_links_its_stages_and_a_failed_job_shows_its_error(
    client: Client, clean: Backing
) -> None:
    team_key = key(clean, "team-a")
    bearer = {"Authorization": f"Bearer {team_key}"}
    upload = client.post(
        "/v1/datasets?name=pairs",
        content=jsonl(dpo_rows(24)),
        headers={**bearer, "Content-Type": "application/jsonl"},
    )
    body = {"dataset_id": upload.json()["id"], "model": "gpt-4.1-mini-2025-04-14"}
    pipeline = client.post("/v1/pipelines", json=body, headers=bearer).json()
    sft_job = pipeline["sft_job_id"]
    asyncio.run(_refuse(clean, sft_job))

    sign_in(client, team_key)
    page = client.get(f"/console/pipelines/{pipeline['id']}", headers=HTML)
    assert page.status_code == 200
    assert f'href="/console/jobs/{sft_job}"' in page.text
    assert f'href="/console/datasets/{pipeline["sft_dataset_id"]}"' in page.text
    assert "Failed at the sft stage: <code>training_not_available</code>" in page.text
    assert pipeline["id"] in client.get("/console/pipelines", headers=HTML).text
    failed = client.get(f"/console/jobs/{sft_job}", headers=HTML)
    assert failed.status_code == 200
    assert "The job failed: <code>training_not_available</code>" in failed.text
    assert f'<pre class="error-message">{REFUSAL}</pre>' in failed.text
    assert "Not retryable" in failed.text


REFUSAL = "OpenAI is winding down the fine-tuning platform; this organization can no longer train"


async def _refuse(backing: Backing, job_id: str) -> None:
    """The provider's permanent refusal, through the one path a job's status changes by."""
    engine = create_engine(backing.database_url, pooled=False)
    try:
        async with session_factory(engine).begin() as session:
            error = ProviderError(REFUSAL, code="training_not_available", retryable=False)
            await transitions.fail_permanently(session, job_id, error, JOB_HOOKS)
    finally:
        await engine.dispose()


def test_sign_in_attempts_from_one_address_are_limited(client: Client, clean: Backing) -> None:
    """A key-guessing loop gets 429 with Retry-After after the burst; so does a right key from
    that address until the wait is over (the limit counts attempts, not failures)."""
    form = client.get("/console/login", headers=HTML)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token is not None

    def attempt(api_key: str) -> Any:
        data = {"key": api_key, "_csrf_token": token.group(1), "next": "/console/jobs"}
        return client.post("/console/login", data=data, headers=HTML, follow_redirects=False)

    burst = 5  # half the default 10 a minute
    statuses = [attempt(f"ftk_guess{i}").status_code for i in range(burst)]
    assert statuses == [401] * burst
    limited = attempt(key(clean, "team-a"))
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Too many sign-in attempts" in limited.text
