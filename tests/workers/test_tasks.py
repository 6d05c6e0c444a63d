"""The RQ entry points (`workers/tasks.py`, `workers/webhook_tasks.py`) as RQ calls them: ids
in, settings from the environment, the runtime built and closed around the service's work."""

from __future__ import annotations

import asyncio
import importlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select
from standardwebhooks import Webhook

from service import queue
from service.config import Settings, get_settings
from service.db.engine import create_engine, session_factory
from service.db.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.ids import new_id
from service.providers.base import FineTuningProvider
from service.webhooks import outbox
from service.webhooks.reconcile import DELIVER_TASK
from service.webhooks.signing import new_secret
from tests.jobs.fakes import FakeProvider
from tests.support.services import Backing
from tests.workers.conftest import add_pending_job, reload_job
from workers import runtimes, tasks, webhook_tasks


def resolve(dotted: str) -> object:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_the_names_the_service_enqueues_are_these_entry_points() -> None:
    # service/ names the tasks as strings (it never imports workers): they must keep resolving.
    assert resolve(queue.ADVANCE_JOB) is tasks.advance_job
    assert resolve(queue.POLL_JOBS) is tasks.poll_jobs
    assert resolve(DELIVER_TASK) is webhook_tasks.deliver_webhook


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """The scripted provider every runtime of the test gets, in place of OpenAI's."""
    fake = FakeProvider()

    def build(settings: Settings, name: str = "openai") -> FineTuningProvider:
        return fake

    monkeypatch.setattr(runtimes, "build_provider", build)
    return fake


def mark_waiting(backing: Backing, job_id: str) -> Redis:
    redis = Redis.from_url(backing.redis_url)
    redis.set(queue.waiting_key(job_id), 1)
    return redis


def test_advance_job_submits_a_pending_job(
    clean: Backing, worker_env: Path, provider: FakeProvider
) -> None:
    job_id = add_pending_job(clean, worker_env)
    redis = mark_waiting(clean, job_id)
    tasks.advance_job(job_id)
    job = asyncio.run(reload_job(clean, job_id))
    assert job.status == "validating_files"
    assert job.provider_job_id in provider.jobs
    assert provider.calls.count("upload_file") == provider.calls.count("create_job") == 1
    # Picked up: a change made from now on gets a wake-up of its own.
    assert not redis.exists(queue.waiting_key(job_id))


def test_poll_jobs_refreshes_a_batch_from_the_job_list(
    clean: Backing, worker_env: Path, provider: FakeProvider
) -> None:
    ids = [add_pending_job(clean, worker_env) for _ in range(2)]
    for job_id in ids:
        tasks.advance_job(job_id)
    first = asyncio.run(reload_job(clean, ids[0]))
    provider.finish(first.provider_job_id or "", "running")
    provider.calls.clear()
    redis = mark_waiting(clean, ids[1])
    tasks.poll_jobs(ids)
    statuses = [asyncio.run(reload_job(clean, job_id)).status for job_id in ids]
    assert statuses == ["running", "validating_files"]
    assert provider.calls.count("list_jobs") == 1 and "get_job" not in provider.calls
    assert not redis.exists(queue.waiting_key(ids[1]))


@dataclass
class Receiver:
    """A webhook consumer on 127.0.0.1 that answers 204 and keeps what it got."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.requests.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None  # no access log on the test's stderr

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


async def _ping(backing: Backing, url: str, secret: str) -> str:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        async with session_factory(engine).begin() as session:
            session.add(
                WebhookEndpoint(
                    id=new_id("we"), team="t", url=url, secret=secret, event_types=[], enabled=True
                )
            )
            await session.flush()
            [delivery_id] = await outbox.write(session, team="t", type_="ping", data={"n": 1})
            return delivery_id
    finally:
        await engine.dispose()


async def _delivery_and_attempts(
    backing: Backing, delivery_id: str
) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        async with session_factory(engine)() as session:
            row = await session.get(WebhookDelivery, delivery_id)
            query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
            attempts = list((await session.execute(query)).scalars())
    finally:
        await engine.dispose()
    assert row is not None
    return row, attempts


def test_deliver_webhook_sends_a_due_delivery_and_records_it(
    clean: Backing, worker_env: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loopback is refused unless the operator allows it: the runtime must read the setting.
    monkeypatch.setenv("FTJOBS_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")
    get_settings.cache_clear()
    secret = new_secret()
    delivery_id = asyncio.run(_ping(clean, receiver.url, secret))
    webhook_tasks.deliver_webhook(delivery_id)
    [(headers, body)] = receiver.requests
    payload = Webhook(secret).verify(body.decode(), {k.lower(): v for k, v in headers.items()})
    assert payload["type"] == "ping" and payload["data"] == {"n": 1}
    row, attempts = asyncio.run(_delivery_and_attempts(clean, delivery_id))
    assert (row.status, row.attempts) == ("delivered", 1)
    assert [attempt.status_code for attempt in attempts] == [204]


def test_deliver_webhook_refuses_loopback_unless_the_settings_allow_it(
    clean: Backing, worker_env: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FTJOBS_WEBHOOK_ALLOWED_NETWORKS", raising=False)
    get_settings.cache_clear()
    delivery_id = asyncio.run(_ping(clean, receiver.url, new_secret()))
    webhook_tasks.deliver_webhook(delivery_id)
    assert receiver.requests == []
    row, [attempt] = asyncio.run(_delivery_and_attempts(clean, delivery_id))
    assert (row.status, row.attempts, attempt.status_code) == ("pending", 1, None)
    assert attempt.error is not None
