"""Webhooks to consumers on the real stack (API, RQ worker, scheduler, emulator as processes)
and a real HTTP receiver on 127.0.0.1: signed events verified with the Standard Webhooks
reference verifier, retries with the same webhook-id, 410, secret rotation, SSRF rules."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from service.cli.keys import create_key
from tests.e2e.client import TERMINAL, ApiClient
from tests.e2e.conftest import stack_env
from tests.support.processes import Stack, wait_until
from tests.support.services import Backing, truncate_all

pytestmark = pytest.mark.e2e

# Retries in fractions of a second; loopback allowed, as for an internal consumer.
WEBHOOKS_FAST = {
    "FTJOBS_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "FTJOBS_WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "FTJOBS_WEBHOOK_RETRY_MAX_SECONDS": "1",
    "FTJOBS_WEBHOOK_RETRY_HORIZON_SECONDS": "60",
    "FTJOBS_WEBHOOK_TIMEOUT_SECONDS": "5",
}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


@dataclass
class Receiver:
    """Answers each path with its scripted statuses in turn, then 204."""

    url: str = ""
    script: dict[str, list[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def answer(self, path: str, headers: dict[str, str], body: str) -> int:
        with self.lock:
            self.received.append(Received(path, headers, body))
            statuses = self.script.get(path) or []
            return statuses.pop(0) if statuses else 204


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
            status = state.answer(self.path, dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def webhook_stack(backing: Backing, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack for the module (starting one takes seconds), with fast webhook retries."""
    asyncio.run(truncate_all(backing.database_url))
    Redis.from_url(backing.redis_url).flushdb()
    root: Path = tmp_path_factory.mktemp("webhooks-e2e")
    logs = root / "logs"
    logs.mkdir()
    running = Stack(env=stack_env(backing, root) | WEBHOOKS_FAST, logs=logs)
    try:
        running.start_emulator()
        running.start_api()
        running.start_workers()
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def api(webhook_stack: Stack, backing: Backing) -> ApiClient:
    key = asyncio.run(create_key(backing.database_url, "hooks-team", False, None))[1]
    return ApiClient(webhook_stack, key)


def register(api: ApiClient, url: str, **fields: Any) -> dict[str, Any]:
    response = api.http.post("/v1/webhook-endpoints", json={"url": url, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ping(api: ApiClient, endpoint_id: str) -> str:
    response = api.http.post(f"/v1/webhook-endpoints/{endpoint_id}/test")
    assert response.status_code == 202, response.text
    return str(response.json()["event_id"])


def wait_for(api: ApiClient, what: str, condition: Any, timeout: float = 20) -> Any:
    try:
        return wait_until(condition, timeout=timeout, what=what)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{api.stack.log_tail()}") from None


def test_a_jobs_events_arrive_signed_and_in_sequence_order(
    api: ApiClient, receiver: Receiver
) -> None:
    secret = register(api, f"{receiver.url}/all")["secret"]
    job = api.create_job()
    assert api.wait_for(job["id"], TERMINAL)["status"] == "succeeded"

    def job_events() -> list[Received]:
        got = [r for r in receiver.at("/all") if r.payload["type"].startswith("job.")]
        return got if got and got[-1].payload["type"] == "job.succeeded" else []

    arrived = wait_for(api, "job.succeeded at the receiver", job_events)
    for request in receiver.at("/all"):
        assert Webhook(secret).verify(request.body, request.headers)
    payloads = [r.payload for r in arrived]
    sequences = [p["data"]["sequence"] for p in payloads]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert payloads[0]["type"] == "job.pending"
    assert "job.uploading" in {p["type"] for p in payloads}
    final = payloads[-1]["data"]["job"]
    assert (final["id"], final["status"], final["team"]) == (job["id"], "succeeded", "hooks-team")
    assert final["fine_tuned_model"].startswith("ft:") and final["error"] is None
    assert (final["provider"], final["provider_status"]) == ("openai", "succeeded")
    assert (
        final["provider_job_id"] == final["openai_job_id"] == api.job(job["id"])["provider_job_id"]
    )
    ours = [e for e in api.events(job["id"]) if e["type"].startswith("job.")]
    assert [(p["type"], p["data"]["sequence"]) for p in payloads] == [
        (e["type"], e["sequence"]) for e in ours
    ]
    assert len({r.headers["webhook-id"] for r in arrived}) == len(arrived)
    types = [r.payload["type"] for r in receiver.at("/all")]
    assert "dataset.created" in types


def test_a_receiver_failing_twice_gets_the_same_event_three_times(
    api: ApiClient, receiver: Receiver
) -> None:
    receiver.script["/flaky"] = [500, 503]
    endpoint = register(api, f"{receiver.url}/flaky", event_types=["ping"])
    event_id = ping(api, endpoint["id"])
    arrived = wait_for(api, "three attempts", lambda: len(receiver.at("/flaky")) >= 3 or None)
    requests = receiver.at("/flaky")
    assert arrived and len(requests) == 3
    assert {r.headers["webhook-id"] for r in requests} == {event_id}
    assert len({r.body for r in requests}) == 1
    for request in requests:
        assert Webhook(endpoint["secret"]).verify(request.body, request.headers)["type"] == "ping"

    def delivered() -> dict[str, Any] | None:
        page = api.http.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json()
        found: dict[str, Any] = page["data"][0]
        return found if found["status"] == "delivered" else None

    log = wait_for(api, "the delivery to be recorded as delivered", delivered)
    assert [a["status_code"] for a in log["attempts"]] == [500, 503, 204]
    assert [a["number"] for a in log["attempts"]] == [1, 2, 3]
    assert log["attempts"][0]["error"] == "HTTP 500" and log["attempts"][0]["next_attempt_at"]
    assert log["attempts"][-1]["next_attempt_at"] is None
    assert all(a["latency_ms"] >= 0 for a in log["attempts"])
    assert [a["response_body"] for a in log["attempts"]] == ["ok", "ok", ""]  # 204: no body


def test_410_disables_the_endpoint(api: ApiClient, receiver: Receiver) -> None:
    receiver.script["/gone"] = [410]
    endpoint = register(api, f"{receiver.url}/gone", event_types=["ping"])
    ping(api, endpoint["id"])

    def disabled() -> dict[str, Any] | None:
        found: dict[str, Any] = api.http.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()
        return found if not found["enabled"] else None

    found = wait_for(api, "the endpoint to be disabled", disabled)
    assert "410" in found["disabled_reason"]
    assert len(receiver.at("/gone")) == 1
    refused = api.http.post(f"/v1/webhook-endpoints/{endpoint['id']}/test")
    assert refused.status_code == 409


def test_rotation_sends_both_signatures_during_the_overlap(
    api: ApiClient, receiver: Receiver
) -> None:
    endpoint = register(api, f"{receiver.url}/rotating", event_types=["ping"])
    old = endpoint["secret"]
    rotated = api.http.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    ping(api, endpoint["id"])
    wait_for(api, "the ping", lambda: receiver.at("/rotating"))
    [during] = receiver.at("/rotating")
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(during.body, during.headers)["type"] == "ping"

    api.http.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", json={"overlap_seconds": 0}
    )
    newest = api.http.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()
    assert newest["previous_secret_expires_at"] is None
    ping(api, endpoint["id"])
    wait_for(api, "the second ping", lambda: len(receiver.at("/rotating")) == 2)
    after = receiver.at("/rotating")[1]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(after.body, after.headers)


def test_metadata_and_unlisted_private_addresses_are_refused(api: ApiClient) -> None:
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/",
        "http://10.0.0.1/hook",
        "http://192.168.0.10/hook",
    ):
        response = api.http.post("/v1/webhook-endpoints", json={"url": url})
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    # Loopback is on this stack's allow-list.
    assert api.http.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/x"}).is_success
