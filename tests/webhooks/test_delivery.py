"""The outbox and the worker's attempts on the real database, with an in-process receiver
(httpx.MockTransport): what is written with a state change, what one attempt sends and
records, backoff, 410, long failure runs, per-job order, one sender at a time."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from standardwebhooks import Webhook

from service.db.engine import create_engine, session_factory
from service.db.locks import try_advisory_lock
from service.db.models import Job
from service.db.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from service.ids import new_id
from service.jobs import repository as jobs_repo
from service.jobs.events import mirrored, status_event
from service.jobs.states import JobStatus
from service.providers.base import RemoteEvent
from service.webhooks import delivery, outbox, ssrf
from service.webhooks.backoff import RetryPolicy
from service.webhooks.delivery import DeliveryRuntime
from service.webhooks.reconcile import claim_due_deliveries
from service.webhooks.sender import Outbound
from service.webhooks.signing import new_secret
from tests.support.records import ready_dataset
from tests.support.services import Backing

PUBLIC = "93.184.215.14"
POLICY = RetryPolicy(base=60, maximum=3600, horizon=3 * 86400, disable_after=5 * 86400)
Handler = Callable[[httpx.Request], httpx.Response]


async def public_resolver(host: str, port: int) -> list[ssrf.Address]:
    return [ipaddress.ip_address(PUBLIC)]


class Receiver:
    """Answers with the scripted responses in turn (the last one repeats) and keeps requests."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses) or [httpx.Response(204)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        index = min(len(self.requests), len(self.responses)) - 1
        return self.responses[index]


@asynccontextmanager
async def runtime(backing: Backing, receiver: Handler) -> AsyncIterator[DeliveryRuntime]:
    engine = create_engine(backing.database_url, pooled=False)
    try:
        yield DeliveryRuntime(
            engine=engine,
            sessions=session_factory(engine),
            policy=POLICY,
            outbound=Outbound(
                allowed=(),
                timeout=5,
                resolver=public_resolver,
                transport=httpx.MockTransport(receiver),
            ),
        )
    finally:
        await engine.dispose()


def run(
    backing: Backing, receiver: Handler, scenario: Callable[[DeliveryRuntime], Awaitable[None]]
) -> None:
    async def main() -> None:
        async with runtime(backing, receiver) as rt:
            await scenario(rt)

    asyncio.run(main())


async def endpoint(rt: DeliveryRuntime, team: str = "t", **fields: object) -> WebhookEndpoint:
    values: dict[str, object] = {"event_types": [], "enabled": True, **fields}
    row = WebhookEndpoint(
        id=new_id("we"), team=team, url="https://hooks.example/in", secret=new_secret(), **values
    )
    async with rt.sessions.begin() as session:
        session.add(row)
    return row


async def ping(rt: DeliveryRuntime, team: str = "t") -> list[str]:
    async with rt.sessions.begin() as session:
        return await outbox.write(session, team=team, type_="ping", data={"hello": 1})


async def deliveries(rt: DeliveryRuntime) -> list[WebhookDelivery]:
    async with rt.sessions() as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.sequence, WebhookDelivery.id)
        return list((await session.execute(query)).scalars())


async def attempts(rt: DeliveryRuntime) -> list[WebhookAttempt]:
    async with rt.sessions() as session:
        query = select(WebhookAttempt).order_by(WebhookAttempt.started_at)
        return list((await session.execute(query)).scalars())


async def reload_endpoint(rt: DeliveryRuntime, endpoint_id: str) -> WebhookEndpoint:
    async with rt.sessions() as session:
        found = await session.get(WebhookEndpoint, endpoint_id)
    assert found is not None
    return found


async def make_due(rt: DeliveryRuntime) -> None:
    async with rt.sessions.begin() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(next_attempt_at=past)
        )


def test_the_outbox_writes_one_delivery_per_subscribed_enabled_endpoint(clean: Backing) -> None:
    async def scenario(rt: DeliveryRuntime) -> None:
        every = await endpoint(rt)
        only_pings = await endpoint(rt, event_types=["ping"])
        await endpoint(rt, event_types=["job.succeeded"])
        await endpoint(rt, enabled=False)
        await endpoint(rt, team="other")
        await ping(rt)
        rows = await deliveries(rt)
        assert {row.endpoint_id for row in rows} == {every.id, only_pings.id}
        assert {row.status for row in rows} == {"pending"}
        assert all(row.next_attempt_at is not None for row in rows)

    run(clean, Receiver(), scenario)


async def new_job(rt: DeliveryRuntime) -> str:
    async with rt.sessions.begin() as session:
        dataset = ready_dataset()
        session.add(dataset)
        await session.flush()
        job = Job(
            id=new_id("job"), team="t", status="pending", method="dpo", model="m",
            training_dataset_id=dataset.id, hyperparameters={}, job_metadata={"run": "1"},
            attempts=0, event_seq=0,
        )  # fmt: skip
        session.add(job)
        await session.flush()
        return job.id


def test_job_status_events_are_announced_with_the_job_and_its_sequence(clean: Backing) -> None:
    async def scenario(rt: DeliveryRuntime) -> None:
        await endpoint(rt)
        job_id = await new_job(rt)
        remote = RemoteEvent(
            id="ftevent-1", type="metrics", level="info", message="step 1", data={},
            created_at=datetime.now(UTC),
        )  # fmt: skip
        async with rt.sessions.begin() as session:
            written = await jobs_repo.add_events(
                session, job_id, [status_event(JobStatus.PENDING, "Job accepted")]
            )
            await jobs_repo.set_fields(session, job_id, status="running", fine_tuned_model="ft:x")
            written += await jobs_repo.add_events(
                session,
                job_id,
                [mirrored(remote, "openai"), status_event(JobStatus.RUNNING, "running")],
            )
        assert written == 3  # add_events still counts every row it wrote
        async with rt.sessions() as session:
            query = select(WebhookEvent).order_by(WebhookEvent.sequence)
            announced = list((await session.execute(query)).scalars())
        assert [(e.type, e.sequence, e.job_id) for e in announced] == [
            ("job.pending", 1, job_id),
            ("job.running", 3, job_id),
        ]
        last = announced[-1].data
        assert last["sequence"] == 3
        assert last["job"]["id"] == job_id and last["job"]["team"] == "t"
        assert (last["job"]["status"], last["job"]["fine_tuned_model"]) == ("running", "ft:x")
        assert last["job"]["error"] is None
        assert last["job"]["provider"] == "openai"  # every payload names its provider
        assert len(await deliveries(rt)) == 2

    run(clean, Receiver(), scenario)


def test_a_successful_attempt_is_signed_pinned_and_recorded(clean: Backing) -> None:
    receiver = Receiver(httpx.Response(200, text="ok" * 1000))

    async def scenario(rt: DeliveryRuntime) -> None:
        target = await endpoint(rt)
        [delivery_id] = await ping(rt)
        await delivery.deliver(rt, delivery_id)
        [request] = receiver.requests
        # Connected to the address that was checked; the name stays in Host (and SNI).
        assert request.url.host == PUBLIC
        assert request.headers["host"] == "hooks.example"
        assert request.extensions["sni_hostname"] == "hooks.example"
        body = request.content.decode()
        payload = Webhook(target.secret).verify(body, dict(request.headers))
        assert payload["type"] == "ping" and payload["data"] == {"hello": 1}
        [row] = await deliveries(rt)
        assert request.headers["webhook-id"] == row.event_id
        assert (row.status, row.attempts, row.next_attempt_at) == ("delivered", 1, None)
        [attempt] = await attempts(rt)
        assert attempt.status_code == 200 and attempt.error is None
        assert attempt.response_body == ("ok" * 1000)[:1024]
        assert attempt.latency_ms >= 0
        await delivery.deliver(rt, delivery_id)  # a late duplicate sends nothing
        assert len(receiver.requests) == 1

    run(clean, receiver, scenario)


def test_a_failure_backs_off_and_a_duplicate_wake_up_sends_nothing(clean: Backing) -> None:
    receiver = Receiver(httpx.Response(503, headers={"Retry-After": "7200"}), httpx.Response(200))

    async def scenario(rt: DeliveryRuntime) -> None:
        target = await endpoint(rt)
        [delivery_id] = await ping(rt)
        before = datetime.now(UTC)
        await delivery.deliver(rt, delivery_id)
        await delivery.deliver(rt, delivery_id)
        assert len(receiver.requests) == 1
        [row] = await deliveries(rt)
        assert row.status == "pending" and row.attempts == 1
        assert row.next_attempt_at is not None
        assert row.next_attempt_at >= before + timedelta(seconds=7200)  # Retry-After honoured
        [attempt] = await attempts(rt)
        assert (attempt.status_code, attempt.error) == (503, "HTTP 503")
        assert attempt.next_attempt_at == row.next_attempt_at
        assert (await reload_endpoint(rt, target.id)).failing_since is not None
        await make_due(rt)
        await delivery.deliver(rt, delivery_id)
        first, second = receiver.requests
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert first.content == second.content
        [row] = await deliveries(rt)
        assert (row.status, row.attempts) == ("delivered", 2)
        assert (await reload_endpoint(rt, target.id)).failing_since is None

    run(clean, receiver, scenario)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(clean: Backing) -> None:
    receiver = Receiver(httpx.Response(302, headers={"Location": "http://169.254.169.254/"}))

    async def scenario(rt: DeliveryRuntime) -> None:
        await endpoint(rt)
        [delivery_id] = await ping(rt)
        await delivery.deliver(rt, delivery_id)
        assert len(receiver.requests) == 1
        [attempt] = await attempts(rt)
        assert attempt.status_code == 302 and "not followed" in (attempt.error or "")
        assert (await deliveries(rt))[0].status == "pending"

    run(clean, receiver, scenario)


def test_410_disables_the_endpoint_and_stops_its_deliveries(clean: Backing) -> None:
    receiver = Receiver(httpx.Response(410))

    async def scenario(rt: DeliveryRuntime) -> None:
        target = await endpoint(rt)
        first, second = (await ping(rt))[0], (await ping(rt))[0]
        await delivery.deliver(rt, first)
        gone = await reload_endpoint(rt, target.id)
        assert not gone.enabled and "410" in (gone.disabled_reason or "")
        assert {row.status for row in await deliveries(rt)} == {"failed"}
        await delivery.deliver(rt, second)
        assert len(receiver.requests) == 1
        assert await ping(rt) == []  # a disabled endpoint gets no new deliveries

    run(clean, receiver, scenario)


def test_an_endpoint_failing_for_days_is_disabled_and_says_so(clean: Backing) -> None:
    receiver = Receiver(httpx.Response(500, text="boom"))

    async def scenario(rt: DeliveryRuntime) -> None:
        since = datetime.now(UTC) - timedelta(days=6)
        target = await endpoint(rt, failing_since=since)
        [delivery_id] = await ping(rt)
        await delivery.deliver(rt, delivery_id)
        disabled = await reload_endpoint(rt, target.id)
        assert not disabled.enabled
        assert "every attempt failed since" in (disabled.disabled_reason or "")
        [attempt] = await attempts(rt)
        assert attempt.response_body == "boom"

    run(clean, receiver, scenario)


def test_a_private_address_at_send_time_is_refused_without_connecting(clean: Backing) -> None:
    receiver = Receiver()

    async def rebinding(host: str, port: int) -> list[ssrf.Address]:
        return [ipaddress.ip_address("10.0.0.7")]

    async def scenario(rt: DeliveryRuntime) -> None:
        rt.outbound = replace(rt.outbound, resolver=rebinding)
        await endpoint(rt)
        [delivery_id] = await ping(rt)
        await delivery.deliver(rt, delivery_id)
        assert receiver.requests == []
        [attempt] = await attempts(rt)
        assert attempt.status_code is None and "refused" in (attempt.error or "")
        assert "10.0.0.7" in (attempt.error or "")

    run(clean, receiver, scenario)


def test_a_jobs_later_event_waits_behind_an_earlier_pending_one(clean: Backing) -> None:
    receiver = Receiver()

    async def scenario(rt: DeliveryRuntime) -> None:
        await endpoint(rt)
        async with rt.sessions.begin() as session:
            for seq in (1, 2):
                await outbox.record(
                    session, team="t", type="job.running", data={}, job_id="job_x", sequence=seq
                )
        early, late = await deliveries(rt)
        await delivery.deliver(rt, late.id)
        assert receiver.requests == []
        waiting = (await deliveries(rt))[1]
        assert waiting.attempts == 0 and waiting.next_attempt_at is not None
        assert waiting.next_attempt_at > datetime.now(UTC)
        await delivery.deliver(rt, early.id)
        await make_due(rt)
        await delivery.deliver(rt, late.id)
        sent = [json.loads(r.content)["data"] for r in receiver.requests]
        assert len(sent) == 2
        assert [r.headers["webhook-id"] for r in receiver.requests] == [
            early.event_id,
            late.event_id,
        ]

    run(clean, receiver, scenario)


def test_one_sender_per_delivery(clean: Backing) -> None:
    receiver = Receiver()

    async def scenario(rt: DeliveryRuntime) -> None:
        await endpoint(rt)
        [delivery_id] = await ping(rt)
        async with try_advisory_lock(rt.engine, f"webhook-delivery:{delivery_id}") as locked:
            assert locked
            await delivery.deliver(rt, delivery_id)
        assert receiver.requests == []
        await delivery.deliver(rt, delivery_id)
        assert len(receiver.requests) == 1

    run(clean, receiver, scenario)


def test_the_scheduler_claims_due_deliveries_once_per_lease(clean: Backing) -> None:
    async def scenario(rt: DeliveryRuntime) -> None:
        await endpoint(rt)
        ids = (await ping(rt)) + (await ping(rt))
        lease = timedelta(seconds=60)
        assert sorted(await claim_due_deliveries(rt.sessions, lease=lease)) == sorted(ids)
        assert await claim_due_deliveries(rt.sessions, lease=lease) == []
        await delivery.deliver(rt, ids[0])  # the worker releases the claim when it records
        [row] = [row for row in await deliveries(rt) if row.id == ids[0]]
        assert row.status == "delivered" and row.claimed_until is None

    run(clean, Receiver(), scenario)
