"""Bearer keys per team: 401 without a good key on every /v1 route; another team's ids are 404."""

from __future__ import annotations

import asyncio

import pytest

from service.auth.cache import PrincipalCache
from service.cli.keys import revoke_key
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, dataset_id
from tests.support.processes import wait_until
from tests.support.services import Backing

ROUTES = [
    ("POST", "/v1/datasets"),
    ("POST", "/v1/datasets/validate"),
    ("GET", "/v1/datasets"),
    ("GET", "/v1/datasets/ds_01JD0000000000000000000000"),
    ("GET", "/v1/datasets/ds_01JD0000000000000000000000/content"),
    ("DELETE", "/v1/datasets/ds_01JD0000000000000000000000"),
    ("GET", "/v1/providers"),
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs"),
    ("GET", "/v1/jobs/job_01JD0000000000000000000000"),
    ("GET", "/v1/jobs/job_01JD0000000000000000000000/events"),
    ("POST", "/v1/jobs/job_01JD0000000000000000000000/cancel"),
    ("POST", "/v1/jobs/job_01JD0000000000000000000000/pause"),
    ("POST", "/v1/jobs/job_01JD0000000000000000000000/resume"),
    ("GET", "/v1/jobs/job_01JD0000000000000000000000/checkpoints"),
    ("GET", "/v1/jobs/job_01JD0000000000000000000000/metrics"),
    ("POST", "/v1/pipelines"),
    ("GET", "/v1/pipelines"),
    ("GET", "/v1/pipelines/pl_01JD0000000000000000000000"),
    ("POST", "/v1/pipelines/pl_01JD0000000000000000000000/cancel"),
    ("POST", "/v1/webhook-endpoints"),
    ("GET", "/v1/webhook-endpoints"),
    ("GET", "/v1/webhook-endpoints/we_01JD0000000000000000000000"),
    ("PATCH", "/v1/webhook-endpoints/we_01JD0000000000000000000000"),
    ("DELETE", "/v1/webhook-endpoints/we_01JD0000000000000000000000"),
    ("POST", "/v1/webhook-endpoints/we_01JD0000000000000000000000/rotate-secret"),
    ("POST", "/v1/webhook-endpoints/we_01JD0000000000000000000000/test"),
    ("GET", "/v1/webhook-endpoints/we_01JD0000000000000000000000/deliveries"),
    ("POST", "/v1/webhook-deliveries/dlv_01JD0000000000000000000000/retry"),
    ("GET", "/v1/stats"),
    ("GET", "/v1/jobs/job_01JD0000000000000000000000/events/stream"),
]

# Signed by OpenAI instead (tests/api/test_openai_webhooks.py).
UNAUTHENTICATED = {"/v1/openai/webhooks"}


def test_every_v1_route_is_in_the_list(client: Client) -> None:
    """Guards the list below: a new route must be added to it (and so be tested for auth)."""
    listed = {
        path.replace("ds_01JD0000000000000000000000", "{dataset_id}")
        .replace("job_01JD0000000000000000000000", "{job_id}")
        .replace("pl_01JD0000000000000000000000", "{pipeline_id}")
        .replace("we_01JD0000000000000000000000", "{endpoint_id}")
        .replace("dlv_01JD0000000000000000000000", "{delivery_id}")
        for _, path in ROUTES
    }
    app_paths = {
        route.path.replace(":str", "")
        for route in client.app.routes
        if route.path.startswith("/v1") and route.path not in UNAUTHENTICATED
    }
    assert app_paths <= listed


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("header", [None, "Bearer ftk_wrong", "Basic abc", "Bearer "])
def test_without_a_good_key_every_route_is_401(
    client: Client,
    keys: Keys,
    method: str,
    path: str,
    header: str | None,
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    body = assert_problem(client.request(method, path, headers=headers), 401)
    assert "key" in body["detail"].lower()


def test_a_revoked_key_stops_working_at_once_though_the_cache_held_it(
    client: Client, clean: Backing
) -> None:
    from service.cli.keys import create_key

    cache: PrincipalCache = client.app.state.key_cache
    wait_until(lambda: cache.enabled, timeout=10, what="the revocation listener")
    key_id, key = asyncio.run(create_key(clean.database_url, "t", False, None))
    assert client.get("/v1/jobs", headers=auth(key)).status_code == 200
    assert cache.get(key) is not None  # later requests are served from the cache
    seen = cache.generation
    assert asyncio.run(revoke_key(clean.database_url, key_id))
    # The NOTIFY is sent at the revocation's commit; the listener hears it within milliseconds.
    wait_until(lambda: cache.generation > seen, timeout=5, what="the revocation notice")
    assert cache.get(key) is None
    assert_problem(client.get("/v1/jobs", headers=auth(key)), 401)


def test_another_teams_ids_answer_404_and_admin_sees_all(
    client: Client,
    keys: Keys,
) -> None:
    ds = dataset_id(client, keys.team_a)
    job = create_job(client, keys.team_a, training_dataset_id=ds).json()["id"]
    for method, path in [
        ("GET", f"/v1/datasets/{ds}"),
        ("GET", f"/v1/datasets/{ds}/content"),
        ("DELETE", f"/v1/datasets/{ds}"),
        ("GET", f"/v1/jobs/{job}"),
        ("GET", f"/v1/jobs/{job}/events"),
        ("POST", f"/v1/jobs/{job}/cancel"),
    ]:
        assert_problem(client.request(method, path, headers=auth(keys.team_b)), 404)
    other = create_job(client, keys.team_b, training_dataset_id=ds)
    assert assert_problem(other, 422)["errors"][0]["path"] == "/training_dataset_id"
    assert client.get("/v1/jobs", headers=auth(keys.team_b)).json()["data"] == []
    assert client.get("/v1/datasets", headers=auth(keys.team_b)).json()["data"] == []
    assert [j["id"] for j in client.get("/v1/jobs", headers=auth(keys.admin)).json()["data"]] == [
        job
    ]
    assert client.get(f"/v1/jobs/{job}", headers=auth(keys.admin)).status_code == 200
