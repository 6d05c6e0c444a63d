"""The worker's side of a webhook: send one attempt of a delivery and record it.

`deliver(rt, delivery_id)` takes the delivery's advisory lock (a second worker with the same id
returns at once), re-reads the row, and sends only if an attempt is due now: a duplicate wake-up
after the attempt finds the next one scheduled in the future and does nothing. The attempt and
its consequences (next time, given up, endpoint disabled) are written in one transaction, with
a compare-and-set on the attempt count.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.db.locks import try_advisory_lock
from service.db.webhook_models import WebhookAttempt
from service.ids import new_id
from service.telemetry import count_webhook_delivery
from service.webhooks import backoff, events, repository
from service.webhooks.backoff import RetryPolicy
from service.webhooks.repository import DELIVERED, FAILED, PENDING, Work
from service.webhooks.sender import AttemptResult, Outbound, send

log = logging.getLogger(__name__)

# A later event of a job waits this long behind an earlier one still pending for the endpoint.
IN_LINE_GAP = timedelta(seconds=1)


@dataclass
class DeliveryRuntime:
    """What one delivery job runs with; `workers/runtimes.py` builds it from settings."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    policy: RetryPolicy
    outbound: Outbound
    rng: random.Random | None = None


async def deliver(rt: DeliveryRuntime, delivery_id: str) -> None:
    async with try_advisory_lock(rt.engine, f"webhook-delivery:{delivery_id}") as locked:
        if not locked:
            log.info("delivery %s is being sent by another worker", delivery_id)
            return
        now = datetime.now(UTC)
        async with rt.sessions() as session:
            work = await repository.load_work(session, delivery_id)
            if work is None or not _due(work, now):
                return
            ahead = await repository.earliest_ahead(session, work.delivery)
        if not work.endpoint.enabled:
            await _stop(rt, work)
        elif ahead is not None:
            await _wait_in_line(rt, work, max(ahead, now) + IN_LINE_GAP)
        else:
            result = await send(rt.outbound, work)
            async with rt.sessions.begin() as session:
                await record(session, rt.policy, work, result, rt.rng)


def _due(work: Work, now: datetime) -> bool:
    delivery = work.delivery
    return (
        delivery.status == PENDING
        and delivery.next_attempt_at is not None
        and delivery.next_attempt_at <= now
    )


async def _stop(rt: DeliveryRuntime, work: Work) -> None:
    async with rt.sessions.begin() as session:
        await repository.set_delivery(
            session,
            work.delivery.id,
            work.delivery.attempts,
            status=FAILED,
            next_attempt_at=None,
            claimed_until=None,
        )


async def _wait_in_line(rt: DeliveryRuntime, work: Work, at: datetime) -> None:
    """An earlier event of the same job is still on its way to this endpoint: go after it,
    so a consumer sees a job's events in order (no attempt is counted)."""
    async with rt.sessions.begin() as session:
        await repository.set_delivery(
            session,
            work.delivery.id,
            work.delivery.attempts,
            next_attempt_at=at,
            claimed_until=None,
        )


async def record(
    session: AsyncSession,
    policy: RetryPolicy,
    work: Work,
    result: AttemptResult,
    rng: random.Random | None = None,
) -> None:
    delivery = work.delivery
    number = delivery.attempts + 1
    now = datetime.now(UTC)
    next_at = None
    if result.delivered:
        status = DELIVERED
    elif result.gone:
        status = FAILED
    else:
        next_at = backoff.next_attempt(
            policy,
            failures=number,
            now=now,
            first_at=delivery.created_at,
            retry_after=result.retry_after,
            rng=rng,
        )
        status = PENDING if next_at is not None else FAILED
    if not await repository.set_delivery(
        session,
        delivery.id,
        delivery.attempts,
        status=status,
        attempts=number,
        next_attempt_at=next_at,
        last_attempt_at=result.started_at,
        claimed_until=None,
    ):
        return  # the endpoint was deleted, or the attempt was recorded already
    await repository.add_attempt(session, _attempt_row(delivery.id, number, result, next_at))
    await _judge_endpoint(session, policy, work, result, now)
    count_webhook_delivery("ok" if result.delivered else "retry" if status == PENDING else "failed")


def _attempt_row(
    delivery_id: str, number: int, result: AttemptResult, next_at: datetime | None
) -> WebhookAttempt:
    return WebhookAttempt(
        id=new_id("att"),
        delivery_id=delivery_id,
        number=number,
        started_at=result.started_at,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
        response_body=result.response_body,
        next_attempt_at=next_at,
    )


async def _judge_endpoint(
    session: AsyncSession, policy: RetryPolicy, work: Work, result: AttemptResult, now: datetime
) -> None:
    """Success ends a failure run; 410 disables at once; so does a run that lasts too long."""
    endpoint_id = work.endpoint.id
    if result.delivered:
        await repository.endpoint_succeeded(session, endpoint_id)
        return
    if result.gone:
        reason = f"the receiver answered 410 Gone at {events.rfc3339(now)}"
    else:
        since = await repository.endpoint_failed(session, endpoint_id, now)
        if not backoff.failing_too_long(policy, since, now):
            return
        reason = f"every attempt failed since {events.rfc3339(since)}"
    log.warning("disabling webhook endpoint %s: %s", endpoint_id, reason)
    await repository.disable_endpoint(session, endpoint_id, reason, now)
