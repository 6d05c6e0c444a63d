"""/v1/webhook-endpoints and /v1/webhook-deliveries through the real app and database: the
secret shown once, URL safety at registration, rotation, tenant isolation, the delivery log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from service.api.app import create_app
from service.config import Settings
from tests.api.conftest import Client, Keys, auth
from tests.api.helpers import assert_problem, create_job, dataset_id
from tests.api.test_idempotency import sql
from tests.support.services import Backing

PUBLIC_URL = "https://93.184.215.14/hooks/in"
ENDPOINTS = "/v1/webhook-endpoints"


def create(client: Client, key: str, **fields: Any) -> Any:
    return client.post(ENDPOINTS, json={"url": PUBLIC_URL, **fields}, headers=auth(key))


def created(client: Client, key: str, **fields: Any) -> dict[str, Any]:
    response = create(client, key, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def deliveries(client: Client, key: str, endpoint_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{ENDPOINTS}/{endpoint_id}/deliveries", headers=auth(key))
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.fixture
def allow_client(settings: Settings) -> Iterator[Client]:
    """The same app with private networks allow-listed, as for internal consumers."""
    allowed = settings.model_copy(update={"webhook_allowed_networks": "10.0.0.0/8,127.0.0.0/8"})
    with TestClient(create_app(allowed)) as test_client:
        yield test_client


def test_create_shows_the_secret_once_and_reads_never_do(client: Client, keys: Keys) -> None:
    body = created(client, keys.team_a, event_types=["job.succeeded"], description="prod")
    assert body["id"].startswith("we_")
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert (body["url"], body["event_types"], body["description"]) == (
        PUBLIC_URL,
        ["job.succeeded"],
        "prod",
    )
    assert body["enabled"] is True and body["team"] == "team-a"
    one = client.get(f"{ENDPOINTS}/{body['id']}", headers=auth(keys.team_a))
    listed = client.get(ENDPOINTS, headers=auth(keys.team_a))
    for response in (one, listed):
        assert response.status_code == 200
        assert '"secret"' not in response.text and body["secret"] not in response.text
    assert [e["id"] for e in listed.json()["data"]] == [body["id"]]


def test_lists_are_cursor_pages_newest_first(client: Client, keys: Keys) -> None:
    ids = [created(client, keys.team_a)["id"] for _ in range(3)]
    first = client.get(ENDPOINTS, params={"limit": 2}, headers=auth(keys.team_a)).json()
    assert [e["id"] for e in first["data"]] == ids[::-1][:2]
    rest = client.get(
        ENDPOINTS, params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth(keys.team_a)
    ).json()
    assert [e["id"] for e in rest["data"]] == [ids[0]] and rest["next_cursor"] is None
    assert_problem(client.get(ENDPOINTS, params={"cursor": "x"}, headers=auth(keys.team_a)), 400)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://93.184.215.14/x", "only http and https"),
        ("not a url", "only http and https"),
        ("http:///x", "no host"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/latest/", "metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://169.254.10.10/", "link-local"),
        ("http://10.0.0.5/hook", "private"),
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
    ],
)
def test_unsafe_or_bad_urls_are_422_with_the_reason(
    client: Client, keys: Keys, url: str, words: str
) -> None:
    body = assert_problem(create(client, keys.team_a, url=url), 422)
    assert words in body["detail"]
    assert body["errors"][0]["path"] == "/url"
    assert client.get(ENDPOINTS, headers=auth(keys.team_a)).json()["data"] == []


EMBEDDED_IPV4_URLS = [
    "http://[::ffff:0:a9fe:a9fe]/",  # IPv4-translated 169.254.169.254
    "http://[::ffff:0:127.0.0.1]/",
    "http://[::a9fe:a9fe]/",  # IPv4-compatible
    "http://[::127.0.0.1]/",
    "http://[64:ff9b:1::a9fe:a9fe]/",  # local-use NAT64
    "http://[fec0::1]/",  # site-local
]


@pytest.mark.parametrize("url", EMBEDDED_IPV4_URLS)
def test_ipv6_spellings_of_internal_hosts_are_refused_on_create_and_patch(
    client: Client, keys: Keys, url: str
) -> None:
    body = assert_problem(create(client, keys.team_a, url=url), 422)
    assert body["errors"][0]["path"] == "/url"
    endpoint = created(client, keys.team_a)
    path = f"{ENDPOINTS}/{endpoint['id']}"
    patched = client.patch(path, json={"url": url}, headers=auth(keys.team_a))
    assert assert_problem(patched, 422)["errors"][0]["path"] == "/url"
    assert client.get(path, headers=auth(keys.team_a)).json()["url"] == PUBLIC_URL


def test_private_addresses_pass_when_allow_listed_metadata_never(
    allow_client: Client, keys: Keys
) -> None:
    for url in ("http://10.0.0.5/hook", "http://127.0.0.1:9000/hook"):
        assert created(allow_client, keys.team_a, url=url)["url"] == url
    for url in ("http://169.254.169.254/", "http://192.168.1.1/"):
        assert_problem(create(allow_client, keys.team_a, url=url), 422)


def test_unknown_event_types_and_fields_are_refused(client: Client, keys: Keys) -> None:
    body = assert_problem(create(client, keys.team_a, event_types=["job.exploded"]), 422)
    assert body["errors"][0] == {
        "code": "unknown_event_type",
        "message": body["errors"][0]["message"],
        "path": "/event_types/0",
    }
    assert_problem(create(client, keys.team_a, colour="red"), 400)


def test_patch_changes_what_it_names_and_rechecks_the_url(client: Client, keys: Keys) -> None:
    endpoint = created(client, keys.team_a, description="old")
    path = f"{ENDPOINTS}/{endpoint['id']}"
    changed = client.patch(
        path, json={"event_types": ["ping", "job.failed"]}, headers=auth(keys.team_a)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["event_types"] == ["job.failed", "ping"]
    assert changed.json()["description"] == "old" and '"secret"' not in changed.text
    cleared = client.patch(path, json={"description": ""}, headers=auth(keys.team_a)).json()
    assert cleared["description"] is None
    refused = client.patch(path, json={"url": "http://10.1.1.1/"}, headers=auth(keys.team_a))
    assert "private" in assert_problem(refused, 422)["detail"]
    assert client.get(path, headers=auth(keys.team_a)).json()["url"] == PUBLIC_URL
    off = client.patch(path, json={"enabled": False}, headers=auth(keys.team_a)).json()
    assert off["enabled"] is False and off["disabled_reason"] == "disabled through the API"
    on = client.patch(path, json={"enabled": True}, headers=auth(keys.team_a)).json()
    assert on["enabled"] is True and on["disabled_reason"] is None


def test_delete_removes_the_endpoint(client: Client, keys: Keys) -> None:
    endpoint = created(client, keys.team_a)
    path = f"{ENDPOINTS}/{endpoint['id']}"
    assert client.delete(path, headers=auth(keys.team_a)).status_code == 204
    assert_problem(client.get(path, headers=auth(keys.team_a)), 404)
    assert_problem(client.delete(path, headers=auth(keys.team_a)), 404)


def test_rotation_shows_a_new_secret_once_and_overlaps_the_old(client: Client, keys: Keys) -> None:
    endpoint = created(client, keys.team_a)
    path = f"{ENDPOINTS}/{endpoint['id']}/rotate-secret"
    rotated = client.post(path, headers=auth(keys.team_a))
    assert rotated.status_code == 200, rotated.text
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != endpoint["secret"]
    until = datetime.fromisoformat(body["previous_secret_expires_at"])
    expected = datetime.now(UTC) + timedelta(hours=24)
    assert abs((until - expected).total_seconds()) < 60
    short = client.post(path, json={"overlap_seconds": 0}, headers=auth(keys.team_a)).json()
    assert short["previous_secret_expires_at"] is None and short["secret"] != body["secret"]
    for bad in (-1, 1e300):
        refused = client.post(path, json={"overlap_seconds": bad}, headers=auth(keys.team_a))
        assert_problem(refused, 422)
    read = client.get(f"{ENDPOINTS}/{endpoint['id']}", headers=auth(keys.team_a))
    assert short["secret"] not in read.text


def test_ping_and_retry_show_in_the_delivery_log(client: Client, keys: Keys) -> None:
    endpoint = created(client, keys.team_a, event_types=["job.succeeded"])
    sent = client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=auth(keys.team_a))
    assert sent.status_code == 202, sent.text
    ping = sent.json()
    assert ping["id"].startswith("dlv_") and ping["event_id"].startswith("evt_")
    assert (ping["event_type"], ping["status"], ping["attempts"]) == ("ping", "pending", [])
    assert [d["id"] for d in deliveries(client, keys.team_a, endpoint["id"])] == [ping["id"]]
    retried = client.post(f"/v1/webhook-deliveries/{ping['id']}/retry", headers=auth(keys.team_a))
    assert retried.status_code == 202 and retried.json()["status"] == "pending"
    client.patch(
        f"{ENDPOINTS}/{endpoint['id']}", json={"enabled": False}, headers=auth(keys.team_a)
    )
    assert_problem(
        client.post(f"{ENDPOINTS}/{endpoint['id']}/test", headers=auth(keys.team_a)), 409
    )
    stopped = assert_problem(
        client.post(f"/v1/webhook-deliveries/{ping['id']}/retry", headers=auth(keys.team_a)), 409
    )
    assert "disabled" in stopped["detail"]


def test_datasets_and_jobs_announce_themselves_to_subscribers(client: Client, keys: Keys) -> None:
    every = created(client, keys.team_a)
    jobs_only = created(client, keys.team_a, event_types=["job.pending"])
    other_team = created(client, keys.team_b)
    create_job(client, keys.team_a, training_dataset_id=dataset_id(client, keys.team_a))
    assert sorted(d["event_type"] for d in deliveries(client, keys.team_a, every["id"])) == [
        "dataset.created",
        "job.pending",
    ]
    [job_delivery] = deliveries(client, keys.team_a, jobs_only["id"])
    assert job_delivery["event_type"] == "job.pending" and job_delivery["sequence"] == 1
    assert deliveries(client, keys.team_b, other_team["id"]) == []


def test_another_teams_ids_are_404_on_every_route(client: Client, keys: Keys) -> None:
    endpoint = created(client, keys.team_a)["id"]
    ping = client.post(f"{ENDPOINTS}/{endpoint}/test", headers=auth(keys.team_a)).json()["id"]
    for method, path, body in [
        ("GET", f"{ENDPOINTS}/{endpoint}", None),
        ("PATCH", f"{ENDPOINTS}/{endpoint}", {"description": "mine now"}),
        ("POST", f"{ENDPOINTS}/{endpoint}/rotate-secret", None),
        ("POST", f"{ENDPOINTS}/{endpoint}/test", None),
        ("GET", f"{ENDPOINTS}/{endpoint}/deliveries", None),
        ("POST", f"/v1/webhook-deliveries/{ping}/retry", None),
        ("DELETE", f"{ENDPOINTS}/{endpoint}", None),
    ]:
        response = client.request(method, path, json=body, headers=auth(keys.team_b))
        assert_problem(response, 404)
    assert client.get(ENDPOINTS, headers=auth(keys.team_b)).json()["data"] == []
    mine = client.get(f"{ENDPOINTS}/{endpoint}", headers=auth(keys.team_a)).json()
    assert mine["description"] is None  # the other team's PATCH changed nothing
    assert len(deliveries(client, keys.team_a, endpoint)) == 1


def test_openapi_documents_the_webhook_routes(client: Client) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path in (
        "/v1/webhook-endpoints",
        "/v1/webhook-endpoints/{endpoint_id}",
        "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        "/v1/webhook-endpoints/{endpoint_id}/test",
        "/v1/webhook-endpoints/{endpoint_id}/deliveries",
        "/v1/webhook-deliveries/{delivery_id}/retry",
    ):
        assert path in schema["paths"], path
    assert "secret" in schema["components"]["schemas"]["EndpointWithSecret"]["properties"]
    assert "secret" not in schema["components"]["schemas"]["EndpointOut"]["properties"]


def test_create_with_an_idempotency_key_replays(client: Client, keys: Keys) -> None:
    headers = auth(keys.team_a) | {"Idempotency-Key": "endpoint-1"}
    first = client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers)
    again = client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first.json()["id"]
    other = client.post(ENDPOINTS, json={"url": PUBLIC_URL, "description": "x"}, headers=headers)
    assert other.status_code == 422
    listed = client.get(ENDPOINTS, headers=auth(keys.team_a)).json()["data"]
    assert [e["id"] for e in listed] == [first.json()["id"]]


def _stored_replays(backing: Backing) -> str:
    """Every remembered Idempotency-Key row, each column as text."""
    query = "SELECT k::text, convert_from(response_body, 'UTF8') FROM idempotency_keys k"
    rows = sql(backing, query)
    return "\n".join(f"{row[0]} {row[1]}" for row in rows)


def test_a_remembered_create_keeps_no_secret_in_clear(
    client: Client, keys: Keys, clean: Backing
) -> None:
    headers = auth(keys.team_a) | {"Idempotency-Key": "endpoint-secret"}
    first = client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers)
    assert first.status_code == 201, first.text
    secret = first.json()["secret"]
    stored = _stored_replays(clean)
    assert "endpoint-secret" in stored and secret not in stored
    again = client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.content == first.content


def test_a_replay_shows_the_secret_only_while_it_still_signs(
    client: Client, keys: Keys, clean: Backing
) -> None:
    headers = auth(keys.team_a) | {"Idempotency-Key": "endpoint-rotated"}
    first = client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers)
    rotate = f"{ENDPOINTS}/{first.json()['id']}/rotate-secret"
    # Rotated with an overlap, the first secret still signs: the replay is the first answer.
    client.post(rotate, json={"overlap_seconds": 3600}, headers=auth(keys.team_a))
    assert client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers).content == (
        first.content
    )
    # Rotated out, it signs nothing: the replay says so instead of showing another secret.
    client.post(rotate, json={"overlap_seconds": 0}, headers=auth(keys.team_a))
    gone = client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers)
    assert_problem(gone, 410)
    assert first.json()["secret"] not in gone.text
    client.delete(f"{ENDPOINTS}/{first.json()['id']}", headers=auth(keys.team_a))
    assert_problem(client.post(ENDPOINTS, json={"url": PUBLIC_URL}, headers=headers), 410)
