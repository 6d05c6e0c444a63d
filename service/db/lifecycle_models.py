"""What the job lifecycle mirrors from OpenAI beyond the job row: checkpoints, per-step metrics,
and the ids of OpenAI's webhooks already received."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class JobCheckpoint(Base):
    __tablename__ = "job_checkpoints"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # OpenAI's ftckpt_… id
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    fine_tuned_model_checkpoint: Mapped[str] = mapped_column(String(300))
    metrics: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class JobMetric(Base):
    """One training step's metrics; from metrics events while the job runs, completed from the
    result file when it ends."""

    __tablename__ = "job_metrics"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(primary_key=True)
    values: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OpenAIWebhook(Base):
    """OpenAI retries a webhook with the same `webhook-id`: one row per id deduplicates them."""

    __tablename__ = "openai_webhooks"

    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    openai_job_id: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
