"""Health endpoints and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient

from service.api.app import create_app
from service.config import Settings
from tests.api.conftest import Client, auth
from tests.api.helpers import assert_problem


def test_live_and_ready(client: Client) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_ready_is_503_naming_what_is_down(settings: Settings, tmp_path: Path) -> None:
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(broken)) as client:
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] != "ok"


def test_the_api_starts_with_postgres_down_and_answers_503_until_it_is_back(
    settings: Settings,
) -> None:
    down = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/x"})
    with TestClient(create_app(down)) as client:
        ready = client.get("/health/ready")
        read = client.get("/v1/jobs/job_01JD0000000000000000000000", headers=auth("ftk_x"))
    assert ready.status_code == 503 and ready.json()["checks"]["database"] != "ok"
    body = assert_problem(read, 503)  # the key lookup cannot reach Postgres: not a 401 or 500
    assert read.headers["retry-after"] == "2" and "database" in body["detail"]


def test_openapi_lists_the_contract(client: Client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    for path in (
        "/v1/datasets",
        "/v1/datasets/{dataset_id}",
        "/v1/jobs",
        "/v1/jobs/{job_id}",
        "/v1/jobs/{job_id}/events",
        "/v1/jobs/{job_id}/cancel",
        "/health/ready",
    ):
        assert path in paths
