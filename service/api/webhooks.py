"""/v1/webhook-endpoints and /v1/webhook-deliveries: where consumers receive events, and the
log of every attempt to reach them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from service.api.deps import Caller, Session, Then, resources, team_scope
from service.api.idempotency import run_once
from service.api.openapi import IDEMPOTENT, OptionalBodyOperation, problems
from service.api.pagination import (
    DEFAULT_LIMIT,
    Limit,
    check_limit,
    id_cursor,
    id_cursor_query,
    id_page,
    split_page,
)
from service.api.schemas import Page
from service.api.webhook_schemas import (
    DeliveryOut,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    RotateSecret,
    delivery_out,
    endpoint_out,
    endpoint_with_secret,
)
from service.errors import ServiceError
from service.webhooks import service as webhooks
from service.webhooks import signing, ssrf
from service.webhooks.reconcile import DELIVER_TASK
from service.webhooks.service import EndpointChanges
from service.wiring import EVENT_TYPES

SIGNING_DOC = (
    "Deliveries follow Standard Webhooks: headers `webhook-id` (the event id, the same on every "
    "retry), `webhook-timestamp`, `webhook-signature` (`v1,<base64 HMAC-SHA256>`; two "
    "space-separated signatures while a rotated-out secret overlaps); body `{type, timestamp, "
    "data}`, job events carrying the job and its `sequence`."
)


SEALED = "sealed:sha256:"


class _WithSecret(msgspec.Struct):
    id: str
    secret: str


def _json_string(value: str) -> bytes:
    """`value` spelled as in the rendered body (msgspec escapes nothing in base64)."""
    return msgspec.json.encode(value)


@dataclass(frozen=True)
class SecretSealer:
    """The create answer is remembered with its secret as `sealed:sha256:<digest>`; a replay
    reads the secret back from the endpoint (kept there to sign) while it still signs, so the
    replay is the first answer byte for byte, and no secret rests in idempotency_keys."""

    team: str

    def seal(self, body: bytes) -> bytes:
        secret = msgspec.json.decode(body, type=_WithSecret).secret
        sealed = _json_string(SEALED + signing.digest(secret))
        return body.replace(_json_string(secret), sealed, 1)

    async def unseal(self, session: AsyncSession, body: bytes) -> bytes:
        answer = msgspec.json.decode(body, type=_WithSecret)
        if not answer.secret.startswith(SEALED):
            return body  # remembered before secrets were sealed
        digest = answer.secret.removeprefix(SEALED)
        secret = await webhooks.signing_secret(session, self.team, answer.id, digest)
        if secret is None:
            raise ServiceError(
                f"webhook endpoint {answer.id!r}, created with this Idempotency-Key, was deleted "
                "or its secret rotated out: the secret cannot be shown again (rotate it for a "
                "new one)",
                status=410,
                title="Gone",
            )
        return body.replace(_json_string(answer.secret), _json_string(secret), 1)


@lru_cache(maxsize=4)
def _networks(value: str) -> tuple[ssrf.Network, ...]:
    return ssrf.parse_networks(value)


def allowed_networks(state: State) -> tuple[ssrf.Network, ...]:
    return _networks(resources(state).settings.webhook_allowed_networks)


class WebhookEndpointController(Controller):
    path = "/v1/webhook-endpoints"
    tags = ["webhooks"]

    @post("/", status_code=201, description=SIGNING_DOC, responses=problems(422, IDEMPOTENT))
    async def create_endpoint(
        self,
        request: Request[Any, Any, State],
        session: Session,
        after_commit: Then,
        principal: Caller,
        data: JSONBody[EndpointCreate],
    ) -> Response[Any]:
        """Register a URL for your team's events (`event_types`: only those; none: all). The
        answer carries the signing `secret`, shown only here (and in an Idempotency-Key replay
        while that secret still signs; 410 once it was rotated out or the endpoint deleted).
        The URL must resolve to public
        addresses (private ones only when the operator allows their network): 422 otherwise."""
        changes = EndpointChanges(
            url=data.url, event_types=data.event_types, description=data.description
        )

        async def create() -> Response[EndpointWithSecret]:
            endpoint = await webhooks.create_endpoint(
                session,
                principal.team,
                changes,
                allowed_networks(request.app.state),
                known_types=EVENT_TYPES,
            )
            return Response(endpoint_with_secret(endpoint), status_code=201)

        # A replay answers with the secret again (the same client already holds it), read back
        # from the endpoint: the remembered answer keeps only its digest.
        sealer = SecretSealer(principal.team)
        return await run_once(
            request, session, after_commit, principal.team, create, body=data, sealer=sealer
        )

    @get("/")
    async def list_endpoints(
        self,
        session: Session,
        principal: Caller,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Annotated[str | None, id_cursor_query("we_")] = None,
    ) -> Page:
        """Your webhook endpoints, newest first (secrets are never shown again)."""
        return await id_page(
            lambda after, n: webhooks.list_endpoints(
                session, team_scope(principal), cursor=after, limit=n
            ),
            prefix="we_",
            cursor=cursor,
            limit=limit,
            present=endpoint_out,
        )

    @get("/{endpoint_id:str}")
    async def get_endpoint(
        self, session: Session, principal: Caller, endpoint_id: FromPath[str]
    ) -> EndpointOut:
        """One endpoint, with why it was disabled if it was."""
        return endpoint_out(
            await webhooks.get_endpoint(session, team_scope(principal), endpoint_id)
        )

    @patch("/{endpoint_id:str}", responses=problems(422))
    async def update_endpoint(
        self,
        state: State,
        session: Session,
        principal: Caller,
        endpoint_id: FromPath[str],
        data: JSONBody[EndpointUpdate],
    ) -> EndpointOut:
        """Change the URL (checked again), the event types (`[]`: all), the description
        (`""` clears it), or `enabled` (true re-enables a disabled endpoint)."""
        changes = EndpointChanges(
            url=data.url,
            event_types=data.event_types,
            description=data.description,
            enabled=data.enabled,
        )
        endpoint = await webhooks.update_endpoint(
            session,
            team_scope(principal),
            endpoint_id,
            changes,
            allowed_networks(state),
            known_types=EVENT_TYPES,
        )
        return endpoint_out(endpoint)

    @delete("/{endpoint_id:str}", status_code=204)
    async def delete_endpoint(
        self, session: Session, principal: Caller, endpoint_id: FromPath[str]
    ) -> None:
        """Delete the endpoint and its delivery log; nothing more is sent to it."""
        await webhooks.delete_endpoint(session, team_scope(principal), endpoint_id)

    @post(
        "/{endpoint_id:str}/rotate-secret",
        status_code=200,
        responses=problems(422),
        operation_class=OptionalBodyOperation,
    )
    async def rotate_secret(
        self,
        state: State,
        session: Session,
        principal: Caller,
        endpoint_id: FromPath[str],
        data: JSONBody[RotateSecret | None] = None,
    ) -> EndpointWithSecret:
        """A new secret, shown only here. The old one keeps signing alongside it for
        `overlap_seconds` (default: the configured overlap, 24 h): both signatures are sent,
        so consumers can switch without missing an event."""
        seconds = data.overlap_seconds if data and data.overlap_seconds is not None else None
        if seconds is None:
            seconds = resources(state).settings.webhook_rotation_overlap_seconds
        endpoint = await webhooks.rotate_secret(
            session, team_scope(principal), endpoint_id, seconds
        )
        return endpoint_with_secret(endpoint)

    @post("/{endpoint_id:str}/test", status_code=202, responses=problems(409))
    async def send_test(
        self,
        state: State,
        session: Session,
        after_commit: Then,
        principal: Caller,
        endpoint_id: FromPath[str],
    ) -> DeliveryOut:
        """Send a `ping` event to this endpoint now (whatever its event types); follow it in
        the deliveries log. 409 while the endpoint is disabled."""
        log = await webhooks.send_test(session, team_scope(principal), endpoint_id)
        after_commit.then(resources(state).wakeups.enqueue, DELIVER_TASK, log.delivery.id)
        return delivery_out(log)

    @get("/{endpoint_id:str}/deliveries")
    async def list_deliveries(
        self,
        session: Session,
        principal: Caller,
        endpoint_id: FromPath[str],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Annotated[str | None, id_cursor_query("dlv_")] = None,
    ) -> Page:
        """Deliveries to this endpoint, newest first, each with every attempt: status code,
        latency, error, the first KB of the answer, and when the next attempt is due."""
        rows = await webhooks.list_deliveries(
            session,
            team_scope(principal),
            endpoint_id,
            cursor=id_cursor(cursor, "dlv_"),
            limit=check_limit(limit) + 1,
        )
        page, next_cursor = split_page(rows, limit, lambda row: row.delivery.id)
        return Page([delivery_out(row) for row in page], next_cursor)


class WebhookDeliveryController(Controller):
    path = "/v1/webhook-deliveries"
    tags = ["webhooks"]

    @post("/{delivery_id:str}/retry", status_code=202, responses=problems(409))
    async def retry_delivery(
        self,
        state: State,
        session: Session,
        after_commit: Then,
        principal: Caller,
        delivery_id: FromPath[str],
    ) -> DeliveryOut:
        """Send this delivery again now (also one that was delivered or given up), with the
        same `webhook-id`. 409 while its endpoint is disabled."""
        log = await webhooks.retry_delivery(session, team_scope(principal), delivery_id)
        after_commit.then(resources(state).wakeups.enqueue, DELIVER_TASK, delivery_id)
        return delivery_out(log)
