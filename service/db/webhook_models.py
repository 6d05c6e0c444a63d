"""Tables for webhooks to consumers: endpoints, the outbox of events, deliveries and attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, CreatedAt


class WebhookEndpoint(CreatedAt, Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_team_id", "team", "id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    team: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(String(500))
    # Empty: every event type.
    event_types: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), server_default=text("'{}'::varchar[]")
    )
    # Kept in clear: an HMAC needs the key itself (it is shown to the caller only once).
    secret: Mapped[str] = mapped_column(String(100))
    # The secret before the last rotation keeps signing alongside until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None]
    # Start of the current run of failed attempts; cleared by any success.
    failing_since: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WebhookEvent(CreatedAt, Base):
    """The outbox: written in the transaction that changed the state it describes."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    team: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]
    job_id: Mapped[str | None] = mapped_column(String(40))
    sequence: Mapped[int | None] = mapped_column(BigInteger)


class WebhookDelivery(CreatedAt, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
        # A job's earlier events still pending (deliveries keep a job's events in order).
        Index(
            "ix_webhook_deliveries_job_id",
            "job_id",
            postgresql_where=text("job_id IS NOT NULL"),
        ),
        Index(
            "ix_webhook_deliveries_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("next_attempt_at IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    # Copied from the event so per-job ordering needs no join.
    job_id: Mapped[str | None] = mapped_column(String(40))
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    # When the next attempt is due; NULL once delivered or given up.
    next_attempt_at: Mapped[datetime | None]
    # Set by the scheduler when it enqueues the row, so it enqueues it once per lease; the
    # worker clears it. next_attempt_at stays the truth the API shows.
    claimed_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_id_number", "delivery_id", "number"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    started_at: Mapped[datetime]
    status_code: Mapped[int | None]
    latency_ms: Mapped[int]
    error: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)  # at most 1 KB
    next_attempt_at: Mapped[datetime | None]
