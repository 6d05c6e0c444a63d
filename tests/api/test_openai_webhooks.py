"""POST /v1/openai/webhooks: verified with the SDK, deduplicated on webhook-id, wakes the job."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient
from pydantic import SecretStr

from service.api.app import create_app
from service.config import Settings
from service.db.engine import create_engine, session_factory
from service.jobs import repository
from tests.api.conftest import Client, Keys
from tests.api.helpers import assert_problem, create_job
from tests.support.services import Backing

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def signed(
    body: bytes, *, webhook_id: str = "wh_1", secret: str = SECRET, at: int | None = None
) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        "content-type": "application/json",
    }


def event(openai_job_id: str) -> bytes:
    return json.dumps(
        {
            "object": "event",
            "id": "evt_abc",
            "type": "fine_tuning.job.succeeded",
            "created_at": int(time.time()),
            "data": {"id": openai_job_id},
        }
    ).encode()


@pytest.fixture
def hooked(settings: Settings) -> Iterator[Client]:
    configured = settings.model_copy(update={"openai_webhook_secret": SecretStr(SECRET)})
    with TestClient(create_app(configured)) as client:
        yield client


async def _wake_at(url: str, job_id: str, attach_to: str | None = None) -> datetime | None:
    """The job's wake_at (after attaching it to an OpenAI job due in an hour, when asked)."""
    engine = create_engine(url, pooled=False)
    if attach_to is not None:
        async with session_factory(engine).begin() as session:
            later = datetime.now(UTC) + timedelta(hours=1)
            await repository.set_fields(session, job_id, provider_job_id=attach_to, wake_at=later)
    async with session_factory(engine)() as session:
        job = await repository.get(session, job_id)
    await engine.dispose()
    return job.wake_at if job else None


def test_a_verified_webhook_wakes_its_job_once(hooked: Client, keys: Keys, clean: Backing) -> None:
    job_id = create_job(hooked, keys.team_a).json()["id"]
    later = asyncio.run(_wake_at(clean.database_url, job_id, attach_to="ftjob-xyz"))
    body = event("ftjob-xyz")
    first = hooked.post("/v1/openai/webhooks", content=body, headers=signed(body))
    assert (first.status_code, first.json()["job_id"]) == (200, job_id)
    woken = asyncio.run(_wake_at(clean.database_url, job_id))
    assert later is not None and woken is not None
    assert woken < later - timedelta(minutes=30)  # due now, not in an hour
    again = hooked.post("/v1/openai/webhooks", content=body, headers=signed(body))
    assert (again.status_code, again.json()["job_id"]) == (200, None)  # duplicate: no-op


@pytest.mark.parametrize("case", ["bad-signature", "stale", "missing-headers", "other-secret"])
def test_bad_webhooks_are_400(hooked: Client, case: str) -> None:
    body = event("ftjob-xyz")
    headers = {
        "bad-signature": signed(body) | {"webhook-signature": "v1,AAAA"},
        "stale": signed(body, at=int(time.time()) - 3600),
        "missing-headers": {"content-type": "application/json"},
        "other-secret": signed(body, secret="whsec_" + base64.b64encode(b"x" * 32).decode()),
    }[case]
    problem = assert_problem(hooked.post("/v1/openai/webhooks", content=body, headers=headers), 400)
    assert "invalid OpenAI webhook" in problem["detail"]


def test_not_configured_says_so(client: Client) -> None:
    body = event("ftjob-xyz")
    problem = assert_problem(
        client.post("/v1/openai/webhooks", content=body, headers=signed(body)), 400
    )
    assert "FTJOBS_OPENAI_WEBHOOK_SECRET" in problem["detail"]
