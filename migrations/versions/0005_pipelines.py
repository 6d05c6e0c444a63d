"""pipelines

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("dataset_id", sa.String(length=40), nullable=False),
        sa.Column("sft_dataset_id", sa.String(length=40), nullable=False),
        sa.Column("sft_fraction", sa.Float(), nullable=False),
        sa.Column("sft_hyperparameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("dpo_hyperparameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("suffix", sa.String(length=64), nullable=True),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sft_job_id", sa.String(length=40), nullable=False),
        sa.Column("dpo_job_id", sa.String(length=40), nullable=True),
        sa.Column("fine_tuned_model", sa.String(length=300), nullable=True),
        sa.Column("failed_stage", sa.String(length=10), nullable=True),
        sa.Column("error_code", sa.String(length=100), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name=op.f("fk_pipelines_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["sft_dataset_id"], ["datasets.id"], name=op.f("fk_pipelines_sft_dataset_id_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["sft_job_id"], ["jobs.id"], name=op.f("fk_pipelines_sft_job_id_jobs")
        ),
        sa.ForeignKeyConstraint(
            ["dpo_job_id"], ["jobs.id"], name=op.f("fk_pipelines_dpo_job_id_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
    )
    op.create_index("ix_pipelines_team_id", "pipelines", ["team", "id"], unique=False)
    op.create_index(
        "ix_pipelines_team_status_id", "pipelines", ["team", "status", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_pipelines_team_status_id", table_name="pipelines")
    op.drop_index("ix_pipelines_team_id", table_name="pipelines")
    op.drop_table("pipelines")
