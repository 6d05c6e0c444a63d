"""The pipelines table: SFT, then DPO on the SFT model, as one thing a team asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, CreatedAt


class Pipeline(CreatedAt, Base):
    __tablename__ = "pipelines"
    __table_args__ = (
        Index("ix_pipelines_team_id", "team", "id"),
        Index("ix_pipelines_team_status_id", "team", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    team: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(20), server_default=text("'openai'"))
    model: Mapped[str] = mapped_column(String(200))
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    sft_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"))
    sft_fraction: Mapped[float]
    sft_hyperparameters: Mapped[dict[str, Any]]
    dpo_hyperparameters: Mapped[dict[str, Any]]
    suffix: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    pipeline_metadata: Mapped[dict[str, Any]] = mapped_column("metadata")
    sft_job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    # Written in the transaction that records the SFT job's success, so it is set at most once.
    dpo_job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"))
    fine_tuned_model: Mapped[str | None] = mapped_column(String(300))
    failed_stage: Mapped[str | None] = mapped_column(String(10))
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    # The cancel mark: once set, the DPO stage is never started, even if SFT succeeds anyway.
    cancel_requested_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
