"""The outbox: an event and its deliveries are written in the transaction that changed the
state the event describes, so an event is sent if and only if that change committed. Workers
send the deliveries later (the scheduler finds every due row)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import Dataset, JobEvent
from service.db.webhook_models import WebhookEvent
from service.ids import new_id
from service.webhooks import events, repository


async def record(
    session: AsyncSession,
    *,
    team: str,
    type: str,
    data: dict[str, Any],
    job_id: str | None = None,
    sequence: int | None = None,
) -> None:
    """One event, and one delivery per enabled endpoint of `team` subscribed to `type`."""
    await write(session, team=team, type_=type, data=data, job_id=job_id, sequence=sequence)


async def write(
    session: AsyncSession,
    *,
    team: str,
    type_: str,
    data: dict[str, Any],
    job_id: str | None = None,
    sequence: int | None = None,
    endpoint_ids: Sequence[str] | None = None,
) -> list[str]:
    """`record`, returning the new delivery ids; `endpoint_ids` picks the endpoints instead
    of the subscriptions (a ping goes to the endpoint being tested only)."""
    event = WebhookEvent(
        id=new_id("evt"), team=team, type=type_, data=data, job_id=job_id, sequence=sequence
    )
    await repository.add_event(session, event)
    if endpoint_ids is None:
        endpoint_ids = await repository.subscribed(session, team, type_)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "id": new_id("dlv"),
            "endpoint_id": endpoint_id,
            "event_id": event.id,
            "job_id": job_id,
            "sequence": sequence,
            "status": repository.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for endpoint_id in endpoint_ids
    ]
    await repository.add_deliveries(session, rows)
    return [row["id"] for row in rows]


async def record_job_events(
    session: AsyncSession, job_id: str, written: Sequence[JobEvent]
) -> None:
    """Announces our own `job.*` events (status changes), not the mirrored OpenAI ones."""
    announced = sorted(
        (e for e in written if e.source == "ftjobs" and e.type.startswith("job.")),
        key=lambda e: e.seq,
    )
    if not announced:
        return
    job = await repository.fresh_job(session, job_id)
    if job is None:
        return
    for event in announced:
        await record(
            session,
            team=job.team,
            type=event.type,
            data=events.job_data(job, event),
            job_id=job_id,
            sequence=event.seq,
        )


async def record_dataset_created(session: AsyncSession, dataset: Dataset) -> None:
    await record(
        session, team=dataset.team, type=events.DATASET_CREATED, data=events.dataset_data(dataset)
    )
