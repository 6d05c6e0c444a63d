"""Tables. Postgres is the truth about every key, dataset and job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, CreatedAt


class ApiKey(CreatedAt, Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    team: Mapped[str] = mapped_column(String(100), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    # sha256 of the key: keys are 256-bit random, so a fast hash is enough and lookups stay O(1).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    is_admin: Mapped[bool] = mapped_column(server_default=text("false"))
    revoked_at: Mapped[datetime | None]


class Dataset(CreatedAt, Base):
    __tablename__ = "datasets"
    __table_args__ = (
        # The same bytes uploaded again by the same team return the existing dataset.
        Index(
            "uq_datasets_team_kind_sha256",
            "team",
            "kind",
            "sha256",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_datasets_team_id", "team", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    team: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))
    source_format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    examples: Mapped[int]
    blob_key: Mapped[str] = mapped_column(String(200))
    report: Mapped[dict[str, Any]]
    deleted_at: Mapped[datetime | None]


class DatasetFile(CreatedAt, Base):
    """A dataset's file at one provider: uploaded once, shared by every job there."""

    __tablename__ = "dataset_files"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    file_id: Mapped[str | None] = mapped_column(String(100))
    # Set before the first upload attempt: a later attempt then looks for a file that a crashed
    # worker may already have uploaded, instead of uploading it twice.
    upload_started_at: Mapped[datetime | None]


class Job(CreatedAt, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_team_id", "team", "id"),
        Index("ix_jobs_team_status_id", "team", "status", "id"),
        Index("ix_jobs_wake_at", "wake_at", postgresql_where=text("wake_at IS NOT NULL")),
        UniqueConstraint("provider", "provider_job_id", name="uq_jobs_provider_job"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    team: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(10))
    model: Mapped[str] = mapped_column(String(200))
    training_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    validation_dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"))
    hyperparameters: Mapped[dict[str, Any]]
    suffix: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[int | None] = mapped_column(BigInteger)
    job_metadata: Mapped[dict[str, Any]] = mapped_column("metadata")
    pipeline_id: Mapped[str | None] = mapped_column(String(40))

    provider: Mapped[str] = mapped_column(String(20), server_default=text("'openai'"))
    # The provider's own status word, kept beside ours (ours is `status`).
    provider_status: Mapped[str | None] = mapped_column(String(40))
    provider_job_id: Mapped[str | None] = mapped_column(String(100))
    provider_file_id: Mapped[str | None] = mapped_column(String(100))
    provider_validation_file_id: Mapped[str | None] = mapped_column(String(100))
    provider_last_event_id: Mapped[str | None] = mapped_column(String(100))
    fine_tuned_model: Mapped[str | None] = mapped_column(String(300))
    trained_tokens: Mapped[int | None] = mapped_column(BigInteger)
    estimated_finish: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_retryable: Mapped[bool | None]

    cancel_requested_at: Mapped[datetime | None]
    # "pause" or "resume", asked through the API and not yet carried out at OpenAI.
    requested_action: Mapped[str | None] = mapped_column(String(10))
    # The time by which a worker must look at this row again; NULL once terminal. The scheduler
    # re-drives every row whose wake_at has passed, so a lost RQ message costs latency only.
    wake_at: Mapped[datetime | None]
    # Consecutive transient failures of the current step (drives the retry backoff).
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    event_seq: Mapped[int] = mapped_column(server_default=text("0"))
    # Training progress from the provider's events: step n of total_steps.
    progress_step: Mapped[int | None]
    progress_total: Mapped[int | None]
    # The provider's price estimate, asked right before the create (Together); NULL otherwise.
    price_estimate: Mapped[dict[str, Any] | None]
    # Set (and committed) right before a create is sent to the provider: only a job with this
    # set can have a remote job we did not record, so only then is the provider searched first.
    create_started_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]


class JobEvent(Base):
    __tablename__ = "job_events"
    __table_args__ = (
        UniqueConstraint("job_id", "seq", name="uq_job_events_job_id_seq"),
        Index(
            "uq_job_events_job_id_provider_event_id",
            "job_id",
            "provider_event_id",
            unique=True,
            postgresql_where=text("provider_event_id IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int]
    source: Mapped[str] = mapped_column(String(10))
    type: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None]
    provider_event_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
