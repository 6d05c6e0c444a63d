"""Webhook endpoints and deliveries, as the API manages them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from service.errors import FieldError, conflict, invalid, not_found
from service.ids import new_id
from service.webhooks import events, outbox, repository, signing, ssrf

MAX_DESCRIPTION = 500
MAX_OVERLAP = timedelta(days=30)


@dataclass(frozen=True)
class EndpointChanges:
    """A PATCH: None leaves a field as it is; an empty description clears it; empty
    event_types means every type."""

    url: str | None = None
    event_types: Sequence[str] | None = None
    description: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class DeliveryLog:
    delivery: WebhookDelivery
    event_type: str
    attempts: list[WebhookAttempt] = field(default_factory=list)


async def check_url(
    url: str, allowed: Sequence[ssrf.Network], resolver: ssrf.Resolver = ssrf.resolve
) -> str:
    """Resolved and checked now; each attempt checks again (DNS can change)."""
    try:
        await ssrf.pin(url, allowed, resolver)
    except ssrf.UnsafeUrlError as error:
        message = f"the webhook URL cannot be used: {error}"
        raise invalid(message, [FieldError("unsafe_url", message, path="/url")]) from error
    return url


def check_fields(
    event_types: Sequence[str] | None, description: str | None, known: frozenset[str]
) -> None:
    errors = events.check_event_types(event_types or [], known)
    if description is not None and len(description) > MAX_DESCRIPTION:
        message = f"description is at most {MAX_DESCRIPTION} characters"
        errors.append(FieldError("invalid_description", message, path="/description"))
    if errors:
        raise invalid("the webhook endpoint is invalid", errors)


async def create_endpoint(
    session: AsyncSession,
    team: str,
    changes: EndpointChanges,
    allowed: Sequence[ssrf.Network],
    resolver: ssrf.Resolver = ssrf.resolve,
    *,
    known_types: frozenset[str],
) -> WebhookEndpoint:
    """`known_types`: the event types a consumer can subscribe to (`service.wiring`)."""
    check_fields(changes.event_types, changes.description, known_types)
    if changes.url is None:
        raise invalid("url is required", [FieldError("missing", "url is required", path="/url")])
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        team=team,
        url=await check_url(changes.url, allowed, resolver),
        description=changes.description or None,
        event_types=sorted(set(changes.event_types or [])),
        secret=signing.new_secret(),
        enabled=True,
    )
    await repository.add_endpoint(session, endpoint)
    return endpoint


async def get_endpoint(
    session: AsyncSession, team: str | None, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(session, endpoint_id, team=team, for_update=for_update)
    if endpoint is None:
        raise not_found("webhook endpoint", endpoint_id)
    return endpoint


async def signing_secret(
    session: AsyncSession, team: str | None, endpoint_id: str, secret_digest: str
) -> str | None:
    """The secret with this digest while it still signs for the endpoint: None once the
    endpoint is deleted or the secret rotated out (showing it then would hand out a dead key,
    and showing the current one would be another answer than the one remembered)."""
    endpoint = await repository.get_endpoint(session, endpoint_id, team=team)
    if endpoint is None:
        return None
    live = signing.signing_secrets(
        endpoint.secret,
        endpoint.previous_secret,
        endpoint.previous_secret_expires_at,
        datetime.now(UTC),
    )
    return signing.with_digest(live, secret_digest)


async def list_endpoints(
    session: AsyncSession, team: str | None, *, cursor: str | None, limit: int
) -> list[WebhookEndpoint]:
    return await repository.list_endpoints(session, team, before_id=cursor, limit=limit)


async def update_endpoint(
    session: AsyncSession,
    team: str | None,
    endpoint_id: str,
    changes: EndpointChanges,
    allowed: Sequence[ssrf.Network],
    resolver: ssrf.Resolver = ssrf.resolve,
    *,
    known_types: frozenset[str],
) -> WebhookEndpoint:
    check_fields(changes.event_types, changes.description, known_types)
    endpoint = await get_endpoint(session, team, endpoint_id, for_update=True)
    values: dict[str, object] = {}
    if changes.url is not None:
        values["url"] = await check_url(changes.url, allowed, resolver)
    if changes.event_types is not None:
        values["event_types"] = sorted(set(changes.event_types))
    if changes.description is not None:
        values["description"] = changes.description or None
    if changes.enabled is True and not endpoint.enabled:
        # A fresh start: the failure run that disabled it is over.
        values |= {
            "enabled": True,
            "disabled_reason": None,
            "disabled_at": None,
            "failing_since": None,
        }
    elif changes.enabled is False and endpoint.enabled:
        await repository.disable_endpoint(
            session, endpoint_id, "disabled through the API", datetime.now(UTC)
        )
    if values:
        await repository.update_endpoint(session, endpoint_id, **values)
    await session.refresh(endpoint)
    return endpoint


async def delete_endpoint(session: AsyncSession, team: str | None, endpoint_id: str) -> None:
    await get_endpoint(session, team, endpoint_id)
    await repository.delete_endpoint(session, endpoint_id)


async def rotate_secret(
    session: AsyncSession, team: str | None, endpoint_id: str, overlap_seconds: float
) -> WebhookEndpoint:
    """A new secret; the current one keeps signing alongside for `overlap_seconds` (a secret
    that was still overlapping from an earlier rotation stops now)."""
    if not 0 <= overlap_seconds <= MAX_OVERLAP.total_seconds():
        message = f"overlap_seconds must be 0..{int(MAX_OVERLAP.total_seconds())}"
        raise invalid(message, [FieldError("invalid_overlap", message, path="/overlap_seconds")])
    overlap = timedelta(seconds=overlap_seconds)
    endpoint = await get_endpoint(session, team, endpoint_id, for_update=True)
    keep = overlap > timedelta(0)
    await repository.update_endpoint(
        session,
        endpoint_id,
        secret=signing.new_secret(),
        previous_secret=endpoint.secret if keep else None,
        previous_secret_expires_at=datetime.now(UTC) + overlap if keep else None,
    )
    await session.refresh(endpoint)
    return endpoint


async def send_test(session: AsyncSession, team: str | None, endpoint_id: str) -> DeliveryLog:
    """A `ping` event to this endpoint only, whatever its filter."""
    endpoint = await _enabled(session, team, endpoint_id)
    [delivery_id] = await outbox.write(
        session,
        team=endpoint.team,
        type_=events.PING,
        data=events.ping_data(endpoint.id),
        endpoint_ids=[endpoint.id],
    )
    return await get_delivery(session, team, delivery_id)


async def list_deliveries(
    session: AsyncSession, team: str | None, endpoint_id: str, *, cursor: str | None, limit: int
) -> list[DeliveryLog]:
    await get_endpoint(session, team, endpoint_id)
    page = await repository.deliveries_page(session, endpoint_id, before_id=cursor, limit=limit)
    logs = {delivery.id: DeliveryLog(delivery, event_type) for delivery, event_type in page}
    for attempt in await repository.attempts_of(session, list(logs)):
        logs[attempt.delivery_id].attempts.append(attempt)
    return list(logs.values())


async def get_delivery(session: AsyncSession, team: str | None, delivery_id: str) -> DeliveryLog:
    found = await repository.get_delivery(session, delivery_id, team=team)
    if found is None:
        raise not_found("webhook delivery", delivery_id)
    delivery, event_type = found
    return DeliveryLog(delivery, event_type, await repository.attempts_of(session, [delivery.id]))


async def retry_delivery(session: AsyncSession, team: str | None, delivery_id: str) -> DeliveryLog:
    """Due now, whatever its state (a delivered one is sent again); 409 while its endpoint
    is disabled."""
    log = await get_delivery(session, team, delivery_id)
    await _enabled(session, None, log.delivery.endpoint_id)
    await repository.retry_now(session, delivery_id, datetime.now(UTC))
    return await get_delivery(session, team, delivery_id)


async def _enabled(session: AsyncSession, team: str | None, endpoint_id: str) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, team, endpoint_id)
    if not endpoint.enabled:
        raise conflict(
            f"webhook endpoint {endpoint_id} is disabled ({endpoint.disabled_reason}); "
            'enable it with PATCH {"enabled": true} first'
        )
    return endpoint
