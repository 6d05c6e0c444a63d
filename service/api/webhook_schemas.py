"""Wire shapes (msgspec) for webhook endpoints and deliveries, and their presenters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec

from service.db.webhook_models import WebhookAttempt, WebhookEndpoint
from service.webhooks.service import MAX_OVERLAP, DeliveryLog
from service.wiring import EVENT_TYPES

# What the webhooks service checks (a 422 naming the choices or the bounds), stated in the
# document only: msgspec enforcing them would answer its own 400 instead.
EventType = Annotated[str, msgspec.Meta(extra_json_schema={"enum": sorted(EVENT_TYPES)})]
OverlapSeconds = Annotated[
    float, msgspec.Meta(extra_json_schema={"minimum": 0, "maximum": MAX_OVERLAP.total_seconds()})
]


class EndpointCreate(msgspec.Struct, forbid_unknown_fields=True):
    url: str
    event_types: list[EventType] | None = None
    description: str | None = None


class EndpointUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Fields left out stay as they are; `event_types: []` means every type; `enabled: true`
    re-enables a disabled endpoint."""

    url: str | None = None
    event_types: list[EventType] | None = None
    description: str | None = None
    enabled: bool | None = None


class RotateSecret(msgspec.Struct, forbid_unknown_fields=True):
    overlap_seconds: OverlapSeconds | None = None


class EndpointOut(msgspec.Struct):
    id: str
    team: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    # While set, the previous secret still signs alongside the current one.
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    """Only the create and rotate answers carry the secret."""

    secret: str


class AttemptOut(msgspec.Struct):
    number: int
    started_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None  # the first KB
    next_attempt_at: datetime | None


class DeliveryOut(msgspec.Struct):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    job_id: str | None
    sequence: int | None
    status: str
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    created_at: datetime
    attempts: list[AttemptOut]


def endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    expires = endpoint.previous_secret_expires_at
    return EndpointOut(
        id=endpoint.id,
        team=endpoint.team,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        previous_secret_expires_at=expires if expires and expires > datetime.now(UTC) else None,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def endpoint_with_secret(endpoint: WebhookEndpoint) -> EndpointWithSecret:
    fields = msgspec.structs.asdict(endpoint_out(endpoint))
    return EndpointWithSecret(**fields, secret=endpoint.secret)


def attempt_out(attempt: WebhookAttempt) -> AttemptOut:
    return AttemptOut(
        number=attempt.number,
        started_at=attempt.started_at,
        status_code=attempt.status_code,
        latency_ms=attempt.latency_ms,
        error=attempt.error,
        response_body=attempt.response_body,
        next_attempt_at=attempt.next_attempt_at,
    )


def delivery_out(log: DeliveryLog) -> DeliveryOut:
    delivery = log.delivery
    return DeliveryOut(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=log.event_type,
        job_id=delivery.job_id,
        sequence=delivery.sequence,
        status=delivery.status,
        next_attempt_at=delivery.next_attempt_at,
        last_attempt_at=delivery.last_attempt_at,
        created_at=delivery.created_at,
        attempts=[attempt_out(attempt) for attempt in log.attempts],
    )
