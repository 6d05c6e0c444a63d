"""Tables for the ops features: remembered Idempotency-Keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, CreatedAt


class IdempotencyKey(CreatedAt, Base):
    """One row per (team, key): in flight while `lock_token` is set, answered once
    `response_status` is; forgotten after `expires_at`."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires_at", "expires_at"),)

    team: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # sha256 of method, route and canonical body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    # Whoever holds the token runs the request; a token older than the lock timeout belongs to
    # a process that died, and the next request with the key takes it over.
    lock_token: Mapped[str | None] = mapped_column(String(32))
    locked_at: Mapped[datetime | None]
    response_status: Mapped[int | None] = mapped_column(SmallInteger)
    response_media_type: Mapped[str | None] = mapped_column(String(100))
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime]
