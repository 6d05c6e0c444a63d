"""job checkpoints, metrics and openai webhooks

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("progress_step", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("progress_total", sa.Integer(), nullable=True))
    op.create_table(
        "job_checkpoints",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("fine_tuned_model_checkpoint", sa.String(length=300), nullable=False),
        sa.Column("metrics", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_job_checkpoints_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_checkpoints")),
    )
    op.create_index(op.f("ix_job_checkpoints_job_id"), "job_checkpoints", ["job_id"])
    op.create_table(
        "job_metrics",
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("values", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_metrics_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "step", name=op.f("pk_job_metrics")),
    )
    op.create_table(
        "openai_webhooks",
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("openai_job_id", sa.String(length=100), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_openai_webhooks")),
    )


def downgrade() -> None:
    op.drop_table("openai_webhooks")
    op.drop_table("job_metrics")
    op.drop_index(op.f("ix_job_checkpoints_job_id"), table_name="job_checkpoints")
    op.drop_table("job_checkpoints")
    op.drop_column("jobs", "progress_total")
    op.drop_column("jobs", "progress_step")
