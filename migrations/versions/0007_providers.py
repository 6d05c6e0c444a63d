"""providers: a job and a pipeline name their provider; a dataset has a file per provider

Revision ID: 0007
Revises: 0006

Existing rows are OpenAI's: jobs and pipelines get provider 'openai', and each dataset's OpenAI
file moves into dataset_files. The openai_* job columns keep their values under provider_*
names.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RENAMED = {
    "openai_job_id": "provider_job_id",
    "openai_file_id": "provider_file_id",
    "openai_validation_file_id": "provider_validation_file_id",
    "openai_last_event_id": "provider_last_event_id",
}


def upgrade() -> None:
    op.add_column(
        "jobs",
        sa.Column(
            "provider", sa.String(length=20), server_default=sa.text("'openai'"), nullable=False
        ),
    )
    op.add_column("jobs", sa.Column("provider_status", sa.String(length=40), nullable=True))
    for old, new in _RENAMED.items():
        op.alter_column("jobs", old, new_column_name=new)
    op.drop_constraint("uq_jobs_openai_job_id", "jobs", type_="unique")
    op.create_unique_constraint("uq_jobs_provider_job", "jobs", ["provider", "provider_job_id"])
    op.execute("UPDATE jobs SET provider_status = status WHERE provider_job_id IS NOT NULL")

    op.alter_column("job_events", "openai_event_id", new_column_name="provider_event_id")
    op.drop_index("uq_job_events_job_id_openai_event_id", table_name="job_events")
    op.create_index(
        "uq_job_events_job_id_provider_event_id",
        "job_events",
        ["job_id", "provider_event_id"],
        unique=True,
        postgresql_where=sa.text("provider_event_id IS NOT NULL"),
    )

    op.add_column(
        "pipelines",
        sa.Column(
            "provider", sa.String(length=20), server_default=sa.text("'openai'"), nullable=False
        ),
    )

    op.create_table(
        "dataset_files",
        sa.Column("dataset_id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("file_id", sa.String(length=100), nullable=True),
        sa.Column("upload_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_dataset_files_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "provider", name=op.f("pk_dataset_files")),
    )
    op.execute(
        "INSERT INTO dataset_files (dataset_id, provider, file_id, upload_started_at) "
        "SELECT id, 'openai', openai_file_id, openai_upload_started_at FROM datasets "
        "WHERE openai_file_id IS NOT NULL OR openai_upload_started_at IS NOT NULL"
    )
    op.drop_column("datasets", "openai_file_id")
    op.drop_column("datasets", "openai_upload_started_at")


def downgrade() -> None:
    op.add_column(
        "datasets", sa.Column("openai_upload_started_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("datasets", sa.Column("openai_file_id", sa.String(length=100), nullable=True))
    op.execute(
        "UPDATE datasets SET openai_file_id = f.file_id, openai_upload_started_at = "
        "f.upload_started_at FROM dataset_files f "
        "WHERE f.dataset_id = datasets.id AND f.provider = 'openai'"
    )
    op.drop_table("dataset_files")
    op.drop_column("pipelines", "provider")
    op.drop_index("uq_job_events_job_id_provider_event_id", table_name="job_events")
    op.alter_column("job_events", "provider_event_id", new_column_name="openai_event_id")
    op.create_index(
        "uq_job_events_job_id_openai_event_id",
        "job_events",
        ["job_id", "openai_event_id"],
        unique=True,
        postgresql_where=sa.text("openai_event_id IS NOT NULL"),
    )
    op.drop_constraint("uq_jobs_provider_job", "jobs", type_="unique")
    for old, new in _RENAMED.items():
        op.alter_column("jobs", new, new_column_name=old)
    op.create_unique_constraint("uq_jobs_openai_job_id", "jobs", ["openai_job_id"])
    op.drop_column("jobs", "provider_status")
    op.drop_column("jobs", "provider")
