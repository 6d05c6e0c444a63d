"""All SQL about webhook endpoints, events, deliveries and their attempts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Job
from service.db.webhook_models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class Work:
    """One delivery with what an attempt needs."""

    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    event: WebhookEvent


async def add_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    session.add(endpoint)
    await session.flush()


async def get_endpoint(
    session: AsyncSession, endpoint_id: str, *, team: str | None, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if team is not None:
        query = query.where(WebhookEndpoint.team == team)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def list_endpoints(
    session: AsyncSession, team: str | None, *, before_id: str | None, limit: int
) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint)
    if team is not None:
        query = query.where(WebhookEndpoint.team == team)
    if before_id is not None:
        query = query.where(WebhookEndpoint.id < before_id)
    query = query.order_by(WebhookEndpoint.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def update_endpoint(session: AsyncSession, endpoint_id: str, **values: Any) -> None:
    query = (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(updated_at=func.now(), **values)
    )
    await session.execute(query)


async def delete_endpoint(session: AsyncSession, endpoint_id: str) -> None:
    # Its deliveries and their attempts go with it (ON DELETE CASCADE); events stay.
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


async def subscribed(session: AsyncSession, team: str, event_type: str) -> list[str]:
    """Enabled endpoints of `team` that listen to `event_type` (an empty filter: all types)."""
    query = select(WebhookEndpoint.id).where(
        WebhookEndpoint.team == team,
        WebhookEndpoint.enabled,
        or_(
            func.cardinality(WebhookEndpoint.event_types) == 0,
            WebhookEndpoint.event_types.contains([event_type]),
        ),
    )
    return list((await session.execute(query)).scalars())


async def fresh_job(session: AsyncSession, job_id: str) -> Job | None:
    """The job as this transaction has written it (not a stale copy from the identity map)."""
    query = select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def add_event(session: AsyncSession, event: WebhookEvent) -> None:
    session.add(event)
    await session.flush()


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(WebhookDelivery).values(list(rows)))


async def get_delivery(
    session: AsyncSession, delivery_id: str, *, team: str | None
) -> tuple[WebhookDelivery, str] | None:
    """The delivery (freshly read) and its event's type."""
    query = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id)
        .execution_options(populate_existing=True)
    )
    if team is not None:
        query = query.join(WebhookEndpoint).where(WebhookEndpoint.team == team)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def deliveries_page(
    session: AsyncSession, endpoint_id: str, *, before_id: str | None, limit: int
) -> list[tuple[WebhookDelivery, str]]:
    """Newest first, each with its event's type."""
    query = (
        select(WebhookDelivery, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
    )
    if before_id is not None:
        query = query.where(WebhookDelivery.id < before_id)
    query = query.order_by(WebhookDelivery.id.desc()).limit(limit)
    return [(row[0], row[1]) for row in await session.execute(query)]


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[str]) -> list[WebhookAttempt]:
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    )
    return list((await session.execute(query)).scalars())


async def retry_now(session: AsyncSession, delivery_id: str, now: datetime) -> None:
    query = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(status=PENDING, next_attempt_at=now, claimed_until=None, updated_at=func.now())
    )
    await session.execute(query)


async def load_work(session: AsyncSession, delivery_id: str) -> Work | None:
    query = (
        select(WebhookDelivery, WebhookEndpoint, WebhookEvent)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else Work(row[0], row[1], row[2])


async def earliest_ahead(session: AsyncSession, delivery: WebhookDelivery) -> datetime | None:
    """The soonest next attempt of an earlier event of the same job still pending for the same
    endpoint; None when nothing is ahead of this delivery."""
    if delivery.job_id is None or delivery.sequence is None:
        return None
    query = select(func.min(WebhookDelivery.next_attempt_at)).where(
        WebhookDelivery.endpoint_id == delivery.endpoint_id,
        WebhookDelivery.job_id == delivery.job_id,
        WebhookDelivery.status == PENDING,
        WebhookDelivery.sequence < delivery.sequence,
    )
    result: datetime | None = (await session.execute(query)).scalar_one()
    return result


async def set_delivery(
    session: AsyncSession, delivery_id: str, expected_attempts: int, **values: Any
) -> bool:
    """Compare-and-set on the attempt count: false when the delivery is gone or someone else
    recorded an attempt meanwhile."""
    query = (
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.attempts == expected_attempts,
        )
        .values(updated_at=func.now(), **values)
    )
    return bool((await session.execute(query)).rowcount)  # type: ignore[attr-defined]


async def add_attempt(session: AsyncSession, attempt: WebhookAttempt) -> None:
    session.add(attempt)
    await session.flush()


async def endpoint_succeeded(session: AsyncSession, endpoint_id: str) -> None:
    query = (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_not(None))
        .values(failing_since=None)
    )
    await session.execute(query)


async def endpoint_failed(session: AsyncSession, endpoint_id: str, now: datetime) -> datetime:
    """Starts (or continues) the endpoint's run of failures; returns when it started."""
    query = (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(failing_since=func.coalesce(WebhookEndpoint.failing_since, now))
        .returning(WebhookEndpoint.failing_since)
    )
    since: datetime | None = (await session.execute(query)).scalar_one_or_none()
    return since or now


async def disable_endpoint(
    session: AsyncSession, endpoint_id: str, reason: str, now: datetime
) -> None:
    """Disabled endpoints get no new deliveries, and the pending ones stop (each can still be
    sent again by hand once the endpoint is enabled)."""
    await update_endpoint(
        session, endpoint_id, enabled=False, disabled_reason=reason, disabled_at=now
    )
    await stop_pending(session, endpoint_id)


async def stop_pending(session: AsyncSession, endpoint_id: str) -> None:
    query = (
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == PENDING)
        .values(status=FAILED, next_attempt_at=None, claimed_until=None, updated_at=func.now())
    )
    await session.execute(query)


async def claim_due(
    session: AsyncSession, now: datetime, lease_until: datetime, limit: int
) -> list[str]:
    """Due deliveries not already enqueued within their lease, oldest first (so one worker
    sends a job's events in order), each marked as enqueued until the lease ends."""
    due = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.next_attempt_at <= now,
            WebhookDelivery.status == PENDING,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    query = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(due))
        .values(claimed_until=lease_until)
        .returning(WebhookDelivery.id, WebhookDelivery.next_attempt_at, WebhookDelivery.sequence)
    )
    rows = list(await session.execute(query))
    # UPDATE … RETURNING has no order of its own.
    rows.sort(key=lambda row: (row[1], row[2] or 0, row[0]))
    return [row[0] for row in rows]
