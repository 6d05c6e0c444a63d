"""GET /metrics: only a scraper with the metrics token reads it (404 when no token is configured,
401 otherwise); HTTP metrics shared by the API processes of a host, counters shared by every
process (two real processes increment them), gauges read from Postgres at scrape time."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr, ValidationError

from service import telemetry
from service.api.app import create_app
from service.config import Settings
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job
from tests.support.services import Backing

SCRAPER_TOKEN = "scraper-token-0123456789abcdef"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest's settings with a metrics token: every app of this module serves /metrics."""
    return settings.model_copy(update={"metrics_token": SecretStr(SCRAPER_TOKEN)})


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=auth(SCRAPER_TOKEN))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_without_a_token_configured_metrics_do_not_exist(settings: Settings, keys: Keys) -> None:
    unset = settings.model_copy(update={"metrics_token": None})
    with TestClient(create_app(unset)) as client:
        for headers in ({}, auth(SCRAPER_TOKEN), auth(keys.admin)):
            body = assert_problem(client.get("/metrics", headers=headers), 404)
            assert "ftjobs_" not in body["detail"]


def test_the_public_port_refuses_a_scrape_without_the_token(client: Client, keys: Keys) -> None:
    # Anonymous, another token, an API key (even an admin's), the token under another scheme.
    for headers in (
        {},
        auth("scraper-token-0123456789abcdeX"),
        auth(keys.admin),
        {"Authorization": f"Basic {SCRAPER_TOKEN}"},
    ):
        response = client.get("/metrics", headers=headers)
        body = assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "ftjobs_jobs" not in body["detail"]
    assert value(scrape(client), "ftjobs_metrics_source_up", source="postgres") == 1


def test_a_short_token_is_refused_and_a_blank_one_is_none() -> None:
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(metrics_token=SecretStr("guessable"))
    # An empty Secret key (the chart's optional reference) means "not configured": 404.
    assert Settings(metrics_token=SecretStr("  ")).metrics_scrape_token() is None
    assert Settings(metrics_token=SecretStr(SCRAPER_TOKEN)).metrics_scrape_token() == SCRAPER_TOKEN


def test_openapi_tells_that_metrics_need_the_token(client: Client) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/metrics"]["get"]
    assert operation["security"] == [{"metricsToken": []}]
    scheme = schema["components"]["securitySchemes"]["metricsToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "FTJOBS_METRICS_TOKEN" in scheme["description"]
    for status in ("401", "404"):
        assert "application/problem+json" in operation["responses"][status]["content"]
    assert next(iter(operation["responses"]["200"]["content"])).startswith("text/plain")


def test_http_metrics_by_route_template_and_status(client: Client, keys: Keys) -> None:
    for _ in range(3):
        client.get("/v1/jobs/job_01JD0000000000000000000000", headers=auth(keys.team_a))
    client.get("/v1/jobs", headers=auth(keys.team_a))
    samples = scrape(client)
    one = {"method": "GET", "path": "/v1/jobs/{job_id}"}
    assert value(samples, "ftjobs_http_requests_total", **one, status_code="404") == 3
    assert value(samples, "ftjobs_http_requests_total", method="GET", path="/v1/jobs",
                 status_code="200") == 1  # fmt: skip
    assert value(samples, "ftjobs_http_request_duration_seconds_count", **one) == 3
    assert value(samples, "ftjobs_http_request_duration_seconds_bucket", **one, le="+Inf") == 3
    assert value(samples, "ftjobs_metrics_source_up", source="postgres") == 1


def test_two_api_processes_on_one_host_answer_the_same_totals(
    client: Client, settings: Settings, keys: Keys
) -> None:
    with TestClient(create_app(settings)) as other:
        other.get("/v1/jobs", headers=auth(keys.team_a))
        other.get("/health/live")
        time.sleep(1.5)  # the other process shares its counts within a second
        client.get("/health/live")
        samples = scrape(client)
    live = {"method": "GET", "path": "/health/live", "status_code": "200"}
    assert value(samples, "ftjobs_http_requests_total", **live) == 2


def test_job_gauges_and_queue_depth_come_from_postgres_and_rq(client: Client, keys: Keys) -> None:
    for _ in range(2):
        assert create_job(client, keys.team_a).status_code == 202
    samples = scrape(client)
    assert value(samples, "ftjobs_jobs", provider="openai", status="pending") == 2
    assert value(samples, "ftjobs_jobs", provider="openai", status="succeeded") == 0
    assert value(samples, "ftjobs_jobs", provider="azure", status="pending") is None
    assert value(samples, "ftjobs_queue_depth", queue="ftjobs") == 2
    assert (value(samples, "ftjobs_oldest_pending_job_age_seconds") or 0) >= 0


COUNTING = textwrap.dedent(
    """
    import sys
    from service import telemetry
    telemetry.configure(sys.argv[1])
    for _ in range(200):
        telemetry.count_provider_request("openai", "get_job", "ok")
    telemetry.count_provider_request("together", "create_job", "rate_limited")
    telemetry.count_webhook_delivery("ok")
    """
)


def test_counters_from_separate_worker_processes_add_up(client: Client, clean: Backing) -> None:
    workers = [
        subprocess.Popen([sys.executable, "-c", COUNTING, clean.redis_url]) for _ in range(2)
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    samples = scrape(client)
    requests = "ftjobs_provider_requests_total"
    assert value(samples, requests, provider="openai", operation="get_job", outcome="ok") == 400
    refused = value(
        samples, requests, provider="together", operation="create_job", outcome="rate_limited"
    )
    assert refused == 2
    assert value(samples, "ftjobs_webhook_deliveries_total", outcome="ok") == 2


def test_counting_never_raises_when_redis_is_gone() -> None:
    telemetry.configure("redis://127.0.0.1:1/0")
    try:
        started = time.monotonic()
        for _ in range(100):
            telemetry.count_provider_request("openai", "create_job", "ok")
            telemetry.count_webhook_delivery("ok")
        # One failed attempt, then counts are dropped without waiting on Redis again.
        assert time.monotonic() - started < 2
    finally:
        telemetry.configure(None)
